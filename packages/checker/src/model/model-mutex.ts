/**
 * A lock (Knossos's `mutex`): acquire succeeds only when free, release only when held.
 * It does not track owners, as Knossos's does not: a history in which one process
 * releases another's lock is judged only by the order of acquires and releases.
 */
import type { Model, ModelOp } from './model.js';

/** True when the lock is held. */
export type MutexState = boolean;

export function mutexModel(): Model<MutexState> {
  return MUTEX;
}

const MUTEX: Model<MutexState> = Object.freeze({
  name: 'mutex',
  describe: () => 'mutex',
  initialState: () => false,
  step(locked: MutexState, op: ModelOp): MutexState | undefined {
    if (op.f === 'acquire') return locked ? undefined : true;
    if (op.f === 'release') return locked ? false : undefined;
    return undefined;
  },
  explainIllegal(_locked: MutexState, op: ModelOp): string {
    if (op.f === 'acquire') return 'already held';
    if (op.f === 'release') return 'not held';
    return `mutex has no ${op.f}`;
  },
  stateKey: (locked: MutexState) => (locked ? 1 : 0),
  stateToValue: (locked: MutexState) => ({ 'locked?': locked }),
  checkOp: (op: ModelOp) => (op.f === 'acquire' || op.f === 'release' ? undefined : `mutex has no operation ${op.f}`),
  isReadOnly: () => false,
  observesFailure: () => false,
});
