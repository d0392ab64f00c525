/**
 * The model as the searches see it: states are small integers and each distinct
 * operation (same f, input, output, outcome and key) is one op class, so a step is a table
 * lookup after its first computation. This is Knossos's `model.memo`, built lazily: the
 * reachable state space of an append model is too large to enumerate up front.
 */
import type { Model, ModelOp } from './model.js';

/**
 * The first states get a row of transitions per class, while rows fit in this many cells
 * (256 KiB): the fastest lookup, and all a register or a mutex needs. States beyond (an
 * append model makes a new state at nearly every step) go to a hash table that holds only
 * the transitions computed.
 */
const ROW_CELLS_MAX = 1 << 16;
const OVERFLOW_INITIAL_SLOTS = 1 << 12;
const EMPTY = new Int32Array(0);
/** Row cell values besides a state id. */
const NOT_COMPUTED = -2;
export const ILLEGAL_STATE = -1;

export class ModelMemo {
  /** States by id; 0 is the initial state. */
  readonly states: unknown[] = [];
  private readonly idsByKey = new Map<string | number, number>();
  /** Per state id (while under rowStatesMax), the next state per class, or NOT_COMPUTED. */
  private readonly rows: Int32Array[] = [];
  private readonly rowStatesMax: number;
  /**
   * Transitions of states beyond rowStatesMax: open addressing over triples (state,
   * class, next) in one array, so a lookup touches one cache line; state -1 marks an
   * empty slot. Allocated at the first such state: most histories never need it.
   */
  private overflow = EMPTY;
  /** Slots in `overflow` (a power of two), and slots used. */
  private overflowSlots = 0;
  private overflowCount = 0;

  constructor(
    readonly model: Model,
    /** The op classes, by class id. */
    readonly classes: readonly ModelOp[],
  ) {
    this.rowStatesMax = Math.max(1, Math.floor(ROW_CELLS_MAX / Math.max(1, classes.length)));
    this.intern(model.initialState());
  }

  get initialState(): number {
    return 0;
  }

  get stateCount(): number {
    return this.states.length;
  }

  /** The state after applying class `classId` in state `stateId`, or ILLEGAL_STATE. */
  step(stateId: number, classId: number): number {
    if (stateId < this.rowStatesMax) {
      const row = this.rows[stateId] as Int32Array;
      const known = row[classId] as number;
      if (known !== NOT_COMPUTED) return known;
      const next = this.compute(stateId, classId);
      // `row` stays valid: interning appends rows but never replaces one.
      row[classId] = next;
      return next;
    }
    if (this.overflowSlots === 0) this.growOverflow();
    const overflow = this.overflow;
    const mask = this.overflowSlots - 1;
    let slot = overflowSlot(stateId, classId) & mask;
    for (;;) {
      const base = slot * 3;
      const held = overflow[base] as number;
      if (held === -1) break;
      if (held === stateId && overflow[base + 1] === classId) return overflow[base + 2] as number;
      slot = (slot + 1) & mask;
    }
    const next = this.compute(stateId, classId);
    this.remember(stateId, classId, next);
    return next;
  }

  private remember(stateId: number, classId: number, next: number): void {
    if ((this.overflowCount + 1) * 2 > this.overflowSlots) this.growOverflow();
    const overflow = this.overflow;
    const mask = this.overflowSlots - 1;
    let slot = overflowSlot(stateId, classId) & mask;
    while (overflow[slot * 3] !== -1) slot = (slot + 1) & mask;
    overflow[slot * 3] = stateId;
    overflow[slot * 3 + 1] = classId;
    overflow[slot * 3 + 2] = next;
    this.overflowCount++;
  }

  private growOverflow(): void {
    const old = this.overflow;
    const oldSlots = this.overflowSlots;
    this.overflowSlots = Math.max(OVERFLOW_INITIAL_SLOTS, oldSlots * 2);
    this.overflow = new Int32Array(this.overflowSlots * 3).fill(-1);
    this.overflowCount = 0;
    for (let slot = 0; slot < oldSlots; slot++) {
      const base = slot * 3;
      if (old[base] !== -1) this.remember(old[base] as number, old[base + 1] as number, old[base + 2] as number);
    }
  }

  private compute(stateId: number, classId: number): number {
    const state = this.states[stateId];
    const next = this.model.step(state, this.classes[classId] as ModelOp);
    if (next === undefined) return ILLEGAL_STATE;
    // A read hands back the state it was given: no need to look it up.
    if (next === state) return stateId;
    return this.intern(next);
  }

  private intern(state: unknown): number {
    const key = this.model.stateKey(state);
    let id = this.idsByKey.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(state);
      this.idsByKey.set(key, id);
      if (id < this.rowStatesMax) this.rows.push(new Int32Array(this.classes.length).fill(NOT_COMPUTED));
    }
    return id;
  }
}

function overflowSlot(stateId: number, classId: number): number {
  const hash = Math.imul(stateId, 0x9e3779b1) ^ Math.imul(classId, 0x85ebca6b);
  return hash ^ (hash >>> 15);
}
