/**
 * Knossos's "linear" search: just-in-time linearization (Lowe, "Testing for
 * linearizability", 2016; knossos/linear.clj). It walks the history once, keeping the set
 * of every configuration the system could be in: a model state, and which of the ops now
 * open (invoked, not returned; crashed ops stay open forever) are already linearized.
 *
 * - A call changes nothing: the new op is open and not linearized in every configuration.
 * - A return of op X keeps the configurations where X is linearized, and from each where
 *   it is not, explores every order of linearizing other open ops followed by X. The
 *   configurations where X could be linearized form the new set. An empty set means X
 *   cannot be linearized: the history is not linearizable, and X is the op to blame.
 *
 * Configurations are deduplicated twice: in the set (Knossos's config-set) and within one
 * return's exploration (a visited table), without which the exploration is exponential in
 * the number of open ops. Open ops hold small slots, so a configuration's bitset is a few
 * words however long the history is.
 */
import { ConfigTable } from './config-table.js';
import { configBytes, FRONTIER_CONFIGS_MAX, type FrontierConfig, type LinearizationSearch, type SearchOutcome } from './linearization-search.js';
import { ILLEGAL_STATE, type ModelMemo } from '../model/model-memo.js';
import type { PreparedHistory } from '../history/prepared-history.js';

/** Where the search is within one return. */
const enum Phase {
  /** Between events. */
  NextEvent,
  /** Taking the configurations of `current` one by one. */
  Configs,
  /** Exploring from one configuration, with `stack` not empty. */
  Explore,
}

export class LinearSearch implements LinearizationSearch {
  readonly algorithm = 'linear' as const;
  /** Words per configuration: one bit per slot. */
  private readonly wordCount: number;
  private readonly configsMax: number;
  private current: ConfigTable;
  private upcoming: ConfigTable;
  /** Configurations reached while exploring for the current return. */
  private readonly visited: ConfigTable;
  /** Per slot, the op holding it, or -1. */
  private readonly slotOp: Int32Array;
  /** Per op id, its slot while open. */
  private readonly opSlot: Int32Array;
  private readonly freeSlots: number[] = [];
  /** One past the highest slot ever used: slots at or above it are free. */
  private slotsUsed = 0;
  /** Indexes into `visited` still to explore. */
  private stack: Int32Array;
  private stackSize = 0;
  private readonly scratch: Uint32Array;
  private event = 0;
  private phase = Phase.NextEvent;
  /** While in Configs or Explore: the op returning, its slot, and the config cursor. */
  private returningOp = -1;
  private returningSlot = -1;
  private configCursor = 0;
  private explored = 0;
  private outcome: SearchOutcome | undefined;

  constructor(
    private readonly history: PreparedHistory,
    private readonly memo: ModelMemo,
    memoryLimitBytes: number,
  ) {
    this.wordCount = Math.max(1, Math.ceil(history.openMax / 32));
    this.configsMax = Math.max(1024, Math.floor(memoryLimitBytes / configBytes(this.wordCount)));
    this.current = new ConfigTable(this.wordCount);
    this.upcoming = new ConfigTable(this.wordCount);
    this.visited = new ConfigTable(this.wordCount);
    this.slotOp = new Int32Array(Math.max(1, history.openMax)).fill(-1);
    this.opSlot = new Int32Array(history.ops.length).fill(-1);
    this.stack = new Int32Array(256);
    this.scratch = new Uint32Array(this.wordCount);
    this.current.add(this.scratch, 0, memo.initialState);
  }

  get configCount(): number {
    return this.explored;
  }

  advance(workMax: number): SearchOutcome | undefined {
    let work = 0;
    while (this.outcome === undefined && work < workMax) {
      switch (this.phase) {
        case Phase.NextEvent:
          work += this.startEvent();
          break;
        case Phase.Configs:
          work += this.takeConfig();
          break;
        case Phase.Explore:
          work += this.explore(workMax - work);
          break;
      }
    }
    return this.outcome;
  }

  private startEvent(): number {
    const { eventOp, eventIsReturn } = this.history;
    if (this.event >= eventOp.length) {
      this.outcome = { kind: 'valid', analyzer: 'linear' };
      return 1;
    }
    const op = eventOp[this.event] as number;
    if (eventIsReturn[this.event] === 0) {
      const slot = this.freeSlots.length > 0 ? (this.freeSlots.pop() as number) : this.slotsUsed++;
      this.slotOp[slot] = op;
      this.opSlot[op] = slot;
      this.event++;
      return 1;
    }
    this.returningOp = op;
    this.returningSlot = this.opSlot[op] as number;
    this.configCursor = 0;
    this.visited.clear();
    this.phase = Phase.Configs;
    return 1;
  }

  /** Takes the next configuration of `current`, or finishes the return when none is left. */
  private takeConfig(): number {
    const current = this.current;
    if (this.configCursor >= current.count) return this.finishReturn();
    const index = this.configCursor++;
    const wordCount = this.wordCount;
    const scratch = this.scratch;
    scratch.set(current.words.subarray(index * wordCount, (index + 1) * wordCount));
    const state = current.states[index] as number;
    const slot = this.returningSlot;
    const word = slot >>> 5;
    const bit = 1 << (slot & 31);
    if (((scratch[word] as number) & bit) !== 0) {
      // Already linearized in this configuration: it simply returns, freeing its slot.
      scratch[word] = (scratch[word] as number) & ~bit;
      this.upcoming.add(scratch, 0, state);
      return 1;
    }
    const visitedIndex = this.visited.add(scratch, 0, state);
    if (visitedIndex >= 0) {
      this.push(visitedIndex);
      this.phase = Phase.Explore;
    }
    return 1;
  }

  /** Explores from configurations on the stack: linearize the returning op, or another open op first. */
  private explore(workMax: number): number {
    const { memo, visited, upcoming, scratch, slotOp, wordCount } = this;
    const { opClass, sameClassBefore, requiredCount } = this.history;
    const opSlot = this.opSlot;
    const returningOp = this.returningOp;
    const returningClass = opClass[returningOp] as number;
    const slotsUsed = this.slotsUsed;
    let work = 0;
    while (this.stackSize > 0 && work < workMax) {
      const index = this.stack[--this.stackSize] as number;
      scratch.set(visited.words.subarray(index * wordCount, (index + 1) * wordCount));
      const state = visited.states[index] as number;
      work++;
      this.explored++;
      const returned = memo.step(state, returningClass);
      // The returning op's bit is clear here, and stays clear: its slot is freed.
      if (returned !== ILLEGAL_STATE) upcoming.add(scratch, 0, returned);
      for (let slot = 0; slot < slotsUsed; slot++) {
        const op = slotOp[slot] as number;
        if (op < 0 || op === returningOp) continue;
        const word = slot >>> 5;
        const bit = 1 << (slot & 31);
        if (((scratch[word] as number) & bit) !== 0) continue;
        const before = sameClassBefore[op] as number;
        if (before !== -1) {
          // An equal crashed op invoked earlier goes first (see PreparedHistory.sameClassBefore).
          const beforeSlot = opSlot[before] as number;
          if ((((scratch[beforeSlot >>> 5] as number) >>> (beforeSlot & 31)) & 1) === 0) continue;
        }
        work++;
        const next = memo.step(state, opClass[op] as number);
        // A crashed op that leaves the state as it is would only be used up (see WglSearch).
        if (next === ILLEGAL_STATE || (next === state && op >= requiredCount)) continue;
        scratch[word] = (scratch[word] as number) | bit;
        const added = visited.add(scratch, 0, next);
        scratch[word] = scratch[word] & ~bit;
        if (added >= 0) this.push(added);
      }
      if (visited.count + upcoming.count + this.current.count > this.configsMax) {
        this.outcome = { kind: 'unknown', analyzer: 'linear', reason: `memory limit: more than ${this.configsMax} configurations` };
        return work;
      }
    }
    if (this.stackSize === 0) this.phase = Phase.Configs;
    return work;
  }

  private finishReturn(): number {
    if (this.upcoming.count === 0) {
      this.outcome = { kind: 'invalid', analyzer: 'linear', failingOp: this.returningOp, frontier: this.frontier() };
      return 1;
    }
    const finished = this.current;
    this.current = this.upcoming;
    this.upcoming = finished;
    this.upcoming.clear();
    this.slotOp[this.returningSlot] = -1;
    this.freeSlots.push(this.returningSlot);
    this.event++;
    this.phase = Phase.NextEvent;
    return 1;
  }

  /** The configurations before the failing return, as sets of linearized op ids. */
  private frontier(): FrontierConfig[] {
    const { ops, returnEvent } = this.history;
    const opWords = Math.max(1, Math.ceil(ops.length / 32));
    const frontier: FrontierConfig[] = [];
    const count = Math.min(this.current.count, FRONTIER_CONFIGS_MAX);
    for (let index = 0; index < count; index++) {
      const linearized = new Uint32Array(opWords);
      // Every op that returned before this event was linearized in every configuration.
      for (let op = 0; op < ops.length; op++) {
        const ret = returnEvent[op] as number;
        if (ret !== -1 && ret < this.event) linearized[op >>> 5] = (linearized[op >>> 5] as number) | (1 << (op & 31));
      }
      for (let slot = 0; slot < this.slotsUsed; slot++) {
        const op = this.slotOp[slot] as number;
        if (op < 0) continue;
        const word = (this.current.words[index * this.wordCount + (slot >>> 5)] as number) >>> 0;
        if ((word & (1 << (slot & 31))) !== 0) linearized[op >>> 5] = (linearized[op >>> 5] as number) | (1 << (op & 31));
      }
      frontier.push({ state: this.current.states[index] as number, linearized });
    }
    return frontier;
  }

  private push(index: number): void {
    if (this.stackSize === this.stack.length) {
      const grown = new Int32Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[this.stackSize++] = index;
  }
}
