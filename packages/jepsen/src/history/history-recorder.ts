/**
 * The history as it is recorded: each op appended with its index (its place) and its
 * time on the test's clock, and passed on (to the op log) as it is recorded.
 */
import type { OpRecorder } from '../generator/generator-runner.js';
import type { Op } from '@minisql/checker';

export class HistoryRecorder implements OpRecorder {
  constructor(
    /** The history so far; appended to in place, so the caller keeps it after a crash. */
    readonly history: Op[],
    private readonly clockNs: () => number,
    private readonly onOp: (op: Op) => void = () => undefined,
  ) {}

  record(fields: Omit<Op, 'index' | 'time'>): Op {
    const op = { ...fields, index: this.history.length, time: this.clockNs() };
    this.history.push(op);
    this.onOp(op);
    return op;
  }
}
