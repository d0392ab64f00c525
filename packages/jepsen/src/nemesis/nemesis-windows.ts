/**
 * When the nemesis had a fault in effect, as time windows for shading the timeline and
 * the plots. Fault and heal are told apart by the op's function, following the names our
 * nemeses use (start-partition/stop-partition, kill/start, pause/resume,
 * start-delay/stop-delay, and per process kill-master/start-master, pause-etcd/resume-etcd)
 * and Jepsen's plain start/stop.
 */
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';
import { formatOpValue } from '@minisql/checker';

export interface NemesisWindow {
  /** From the invocation of the op that injected the fault... */
  readonly startNs: number;
  /** ...to the completion of the op that healed it, or the history's end when none did. */
  readonly stopNs: number;
  /** What was injected, e.g. "partition [[n1 n2] [n3 n4 n5]]". */
  readonly label: string;
}

/** Jepsen's plain :start/:stop nemesis; our own nemeses always name the fault. */
const GENERIC_FAULT = 'nemesis';

type NemesisAction = { kind: 'open' | 'close'; fault: string } | { kind: 'momentary' };

function actionOf(f: string, openFaults: ReadonlyMap<string, unknown>): NemesisAction {
  const started = /^start-(.+)$/.exec(f);
  // start-master restarts what kill-master stopped.
  if (started && openFaults.has(`kill-${started[1]}`)) return { kind: 'close', fault: `kill-${started[1]}` };
  const processFault = /^(kill|pause|resume)-(.+)$/.exec(f);
  if (processFault) {
    const [, verb, process] = processFault as unknown as [string, string, string];
    return verb === 'resume' ? { kind: 'close', fault: `pause-${process}` } : { kind: 'open', fault: f };
  }
  if (started) return { kind: 'open', fault: started[1] as string };
  const stopped = /^stop-(.+)$/.exec(f);
  if (stopped) return { kind: 'close', fault: stopped[1] as string };
  switch (f) {
    case 'kill':
    case 'pause':
      return { kind: 'open', fault: f };
    case 'resume':
      return { kind: 'close', fault: 'pause' };
    // `start` restarts what `kill` stopped; in Jepsen's own histories it starts a fault.
    case 'start':
      return openFaults.has('kill') ? { kind: 'close', fault: 'kill' } : { kind: 'open', fault: GENERIC_FAULT };
    case 'stop':
      return { kind: 'close', fault: GENERIC_FAULT };
    default:
      return { kind: 'momentary' };
  }
}

/**
 * The nemesis's fault windows, in order of their start. Consecutive nemesis ops with the
 * same function are one action (an invocation and its completion, or Jepsen's info pair).
 * A fault injected again while in effect extends its window; a heal with nothing to heal
 * is ignored; any other nemesis op is a window as long as the op itself.
 */
export function nemesisWindows(history: readonly Op[]): NemesisWindow[] {
  const endNs = history.reduce((latest, op) => Math.max(latest, op.time), 0);
  const nemesisOps = history.filter((op) => op.process === NEMESIS_PROCESS);
  const windows: NemesisWindow[] = [];
  const open = new Map<string, { startNs: number; label: string }>();
  for (let i = 0; i < nemesisOps.length;) {
    const first = nemesisOps[i] as Op;
    let j = i;
    while (j + 1 < nemesisOps.length && (nemesisOps[j + 1] as Op).f === first.f) j += 1;
    const last = nemesisOps[j] as Op;
    i = j + 1;
    const value = last.value !== null ? last.value : first.value;
    const action = actionOf(first.f, open);
    if (action.kind === 'momentary') {
      windows.push({ startNs: first.time, stopNs: last.time, label: describe(first.f, value, last.node) });
    } else if (action.kind === 'open') {
      if (!open.has(action.fault)) open.set(action.fault, { startNs: first.time, label: describe(action.fault, value, last.node) });
    } else {
      const opened = open.get(action.fault);
      if (opened === undefined) continue;
      open.delete(action.fault);
      windows.push({ startNs: opened.startNs, stopNs: last.time, label: opened.label });
    }
  }
  for (const opened of open.values()) windows.push({ startNs: opened.startNs, stopNs: endNs, label: opened.label });
  return windows.sort((a, b) => a.startNs - b.startNs);
}

function describe(fault: string, value: Op['value'], node: string | undefined): string {
  const parts = [fault];
  if (value !== null) parts.push(formatOpValue(value));
  if (node !== undefined) parts.push(`on ${node}`);
  return parts.join(' ');
}
