/**
 * Many independent copies of one model, one per key: the model for checking a history of
 * many keys as a whole instead of key by key. P-compositionality says both give the same
 * verdict; this model exists to show it (and to measure how much the split saves).
 */
import type { Model, ModelOp } from './model.js';

export interface MultiKeyState {
  /** Per key (in the order of the keys given to the model), that key's state. */
  readonly states: readonly unknown[];
  /** The cache key: the keys' state ids, joined. */
  readonly id: string;
}

export function multiKeyModel(inner: Model, keys: ReadonlyArray<string | number>): Model<MultiKeyState> {
  return new MultiKeyModel(inner, keys);
}

class MultiKeyModel implements Model<MultiKeyState> {
  readonly name: string;
  private readonly keyIndex = new Map<string | number, number>();
  /** Small ids for the inner model's state keys, so that a whole state's key stays short. */
  private readonly innerIds = new Map<string | number, number>();

  constructor(
    private readonly inner: Model,
    private readonly keys: ReadonlyArray<string | number>,
  ) {
    this.name = inner.name;
    keys.forEach((key, index) => this.keyIndex.set(key, index));
  }

  describe(): string {
    return `${this.inner.describe()} over ${this.keys.length} keys as one state`;
  }

  initialState(): MultiKeyState {
    const states = this.keys.map(() => this.inner.initialState());
    return { states, id: states.map((state) => this.innerId(state)).join(',') };
  }

  step(state: MultiKeyState, op: ModelOp): MultiKeyState | undefined {
    const index = this.indexOf(op);
    const next = this.inner.step(state.states[index], op);
    if (next === undefined) return undefined;
    const states = state.states.slice();
    states[index] = next;
    const ids = state.id.split(',');
    ids[index] = String(this.innerId(next));
    return { states, id: ids.join(',') };
  }

  explainIllegal(state: MultiKeyState, op: ModelOp): string {
    return `key ${String(op.key)}: ${this.inner.explainIllegal(state.states[this.indexOf(op)], op)}`;
  }

  stateKey(state: MultiKeyState): string {
    return state.id;
  }

  stateToValue(state: MultiKeyState): unknown {
    return new Map(this.keys.map((key, index) => [key, this.inner.stateToValue(state.states[index])]));
  }

  checkOp(op: ModelOp): string | undefined {
    if (op.key === undefined || !this.keyIndex.has(op.key)) return `op has no key among the model's ${this.keys.length}`;
    return this.inner.checkOp(op);
  }

  isReadOnly(op: ModelOp): boolean {
    return this.inner.isReadOnly(op);
  }

  observesFailure(op: ModelOp): boolean {
    return this.inner.observesFailure(op);
  }

  private indexOf(op: ModelOp): number {
    return this.keyIndex.get(op.key as string | number) as number;
  }

  private innerId(state: unknown): number {
    const key = this.inner.stateKey(state);
    let id = this.innerIds.get(key);
    if (id === undefined) {
      id = this.innerIds.size;
      this.innerIds.set(key, id);
    }
    return id;
  }
}
