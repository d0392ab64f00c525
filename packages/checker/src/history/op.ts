/**
 * Jepsen's operation map. A history is a list of these in the order they happened:
 * each client operation appears twice, as an `invoke` and then as its completion
 * (`ok`, `fail`, or `info` when the outcome is unknown), both with the same process.
 */

/** invoke: started; ok: took effect; fail: certainly did not; info: may or may not have. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** A value as Jepsen writes it: nil, numbers, strings, keywords as strings, vectors. */
export type OpValue = null | number | string | boolean | OpValue[];

/** The nemesis's process in histories (Jepsen's `:nemesis`). */
export const NEMESIS_PROCESS = 'nemesis';

export type Process = number | typeof NEMESIS_PROCESS;

export interface Op {
  type: OpType;
  /** The function: read, write, cas, acquire, release, add, get, put, append, or a nemesis's. */
  f: string;
  value: OpValue;
  process: Process;
  /** Nanoseconds since the start of the test. */
  time: number;
  /** Position in the history, from 0. */
  index: number;
  /** The independent key this op acts on, when the workload has many (checked per key). */
  key?: string | number;
  /** Why an op failed or crashed, e.g. "timed-out" or an error code. */
  error?: string;
  /** The node a client op was sent to, or a nemesis's targets, for the log and timeline. */
  node?: string;
}

/** An op before the history gives it an index and a time. */
export type OpRequest = Omit<Op, 'index' | 'time'>;

export function isClientOp(op: Op): boolean {
  return op.process !== NEMESIS_PROCESS;
}
