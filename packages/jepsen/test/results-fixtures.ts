/**
 * Histories for the results tests (timeline, plots): built by hand op by op, or generated
 * from a seed with crashes, many keys and a partitioning nemesis.
 */
import type { Op, OpType, OpValue, Process } from '@minisql/checker';
import { seededRandom } from '@minisql/common';

export class HistoryBuilder {
  readonly ops: Op[] = [];

  /** Appends an op at `timeMs` and returns its index. */
  add(type: OpType, process: Process, f: string, value: OpValue, timeMs: number, extra: Partial<Op> = {}): number {
    const index = this.ops.length;
    this.ops.push({ type, f, value, process, time: Math.round(timeMs * 1e6), index, ...extra });
    return index;
  }
}

export interface GeneratedHistoryOptions {
  /** Client ops to generate (each an invocation and, mostly, a completion). */
  ops: number;
  threads: number;
  keys: number;
  seed: number;
  /** A partition starts every this many ms and lasts half of it; none when 0. */
  nemesisPeriodMs?: number;
}

/**
 * A register history: reads, writes and cas over `keys` keys by `threads` threads, about
 * 5% of ops failing and 3% crashing (the thread continues as process p + threads), the
 * last few ops left without completion.
 */
export function generatedHistory(options: GeneratedHistoryOptions): Op[] {
  const next = seededRandom(options.seed);
  const builder = new HistoryBuilder();
  const processOf = Array.from({ length: options.threads }, (_, thread) => thread);
  const busyUntilMs = new Array<number>(options.threads).fill(0);
  const pending: Array<{ atMs: number; thread: number; op: Op }> = [];
  let timeMs = 0;
  let started = 0;
  let nextNemesisMs = options.nemesisPeriodMs ? options.nemesisPeriodMs / 2 : Infinity;
  let partitioned = false;
  const flushUntil = (untilMs: number): void => {
    pending.sort((a, b) => a.atMs - b.atMs);
    while (pending.length > 0 && (pending[0] as { atMs: number }).atMs <= untilMs) {
      const done = pending.shift() as { atMs: number; thread: number; op: Op };
      const roll = next();
      const type: OpType = roll < 0.03 ? 'info' : roll < 0.08 ? 'fail' : 'ok';
      const value = done.op.f === 'read' && type === 'ok' ? Math.floor(next() * 5) : done.op.value;
      builder.add(type, done.op.process, done.op.f, value, done.atMs, {
        key: done.op.key,
        node: done.op.node,
        ...(type === 'ok' ? {} : { error: type === 'info' ? 'timed-out' : 'not-found' }),
      });
      if (type === 'info') processOf[done.thread] = (processOf[done.thread] as number) + options.threads;
    }
  };
  while (started < options.ops) {
    timeMs += next() * 2;
    if (timeMs >= nextNemesisMs) {
      flushUntil(timeMs);
      const f = partitioned ? 'stop-partition' : 'start-partition';
      builder.add('invoke', 'nemesis', f, null, timeMs);
      timeMs += 1;
      builder.add(
        'info',
        'nemesis',
        f,
        partitioned
          ? 'fully connected'
          : [
              ['n1', 'n2'],
              ['n3', 'n4', 'n5'],
            ],
        timeMs,
      );
      partitioned = !partitioned;
      nextNemesisMs += (options.nemesisPeriodMs as number) / 2;
    }
    flushUntil(timeMs);
    const thread = Math.floor(next() * options.threads);
    if ((busyUntilMs[thread] as number) > timeMs) continue;
    const fRoll = next();
    const f = fRoll < 0.4 ? 'read' : fRoll < 0.8 ? 'write' : 'cas';
    const value: OpValue = f === 'read' ? null : f === 'write' ? Math.floor(next() * 5) : [Math.floor(next() * 5), Math.floor(next() * 5)];
    const key = Math.floor(next() * options.keys);
    const process = processOf[thread] as number;
    const index = builder.add('invoke', process, f, value, timeMs, { key, node: `n${(thread % 5) + 1}` });
    started += 1;
    const latencyMs = 0.2 + next() * next() * 40;
    busyUntilMs[thread] = timeMs + latencyMs;
    // The last ops stay open: the test ended before they completed.
    if (started <= options.ops - 3) pending.push({ atMs: timeMs + latencyMs, thread, op: builder.ops[index] as Op });
  }
  flushUntil(Infinity);
  return builder.ops;
}
