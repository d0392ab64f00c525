/**
 * An invocation and its completion as one span of time, for drawing: the timeline's boxes
 * and the latency plot's points. A process runs one op at a time, so an op's completion is
 * the next op of the same process. The checkers need no pairs of this shape; they read the
 * history themselves.
 */
import type { Op, OpType } from './op.js';

/** How an op ended: its completion's type, or `open` when the history ends before it completes. */
export type PairOutcome = Exclude<OpType, 'invoke'> | 'open';

export interface OpPair {
  /** The invocation; for a completion that had none (e.g. a nemesis's lone `info`), that completion. */
  readonly start: Op;
  /** The completion, absent while open. Equal to `start` for a completion without invocation. */
  readonly completion: Op | undefined;
  readonly outcome: PairOutcome;
  readonly startNs: number;
  /** The completion's time; for an open op, the history's last time. */
  readonly endNs: number;
  /** endNs - startNs for completed ops; undefined for open ones, whose latency is unknown. */
  readonly latencyNs: number | undefined;
}

/**
 * Pairs every invocation with its completion, in the order of the invocations. Lenient on
 * purpose, because it draws histories the checker may reject: an invocation whose process
 * invokes again before completing stays open, and a completion with no invocation becomes
 * a pair of its own.
 */
export function pairHistory(history: readonly Op[]): OpPair[] {
  const lastTimeNs = history.reduce((latest, op) => Math.max(latest, op.time), 0);
  const pairs: OpPair[] = [];
  /** Per process, the position in `pairs` of its invocation that has not completed yet. */
  const openByProcess = new Map<Op['process'], number>();
  const openPair = (start: Op): OpPair => ({
    start,
    completion: undefined,
    outcome: 'open',
    startNs: start.time,
    endNs: Math.max(start.time, lastTimeNs),
    latencyNs: undefined,
  });
  for (const op of history) {
    const openAt = openByProcess.get(op.process);
    if (op.type === 'invoke') {
      openByProcess.set(op.process, pairs.length);
      pairs.push(openPair(op));
      continue;
    }
    if (openAt === undefined) {
      pairs.push({ start: op, completion: op, outcome: op.type, startNs: op.time, endNs: op.time, latencyNs: 0 });
      continue;
    }
    const start = (pairs[openAt] as OpPair).start;
    pairs[openAt] = { start, completion: op, outcome: op.type, startNs: start.time, endNs: op.time, latencyNs: op.time - start.time };
    openByProcess.delete(op.process);
  }
  return pairs;
}
