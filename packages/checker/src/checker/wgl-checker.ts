/**
 * The Wing-Gong-Lowe search (Wing & Gong 1993, with Lowe's cache; as Porcupine's
 * checker.go and Knossos's wgl.clj do it). The history is a doubly linked list of calls
 * and returns. Walking from the front, a call whose op the model accepts is linearized:
 * its call and return are lifted out of the list and the walk restarts. Reaching a return
 * means its op could not be linearized before it, so the search backtracks. Reaching the
 * end of the list means every required op is linearized (crashed ops have no return, so
 * they are never required). Lowe's cache of (linearized set, state) prunes any
 * configuration seen before, which makes the search polynomial for most real histories.
 *
 * The list lives in Int32Arrays, the linearized set is a word bitset updated in place,
 * and the cache is a ConfigTable: the inner loop allocates nothing.
 */
import { ConfigTable } from './config-table.js';
import { configBytes, FRONTIER_CONFIGS_MAX, type FrontierConfig, type LinearizationSearch, type SearchOutcome } from './linearization-search.js';
import { ILLEGAL_STATE, type ModelMemo } from '../model/model-memo.js';
import type { PreparedHistory } from '../history/prepared-history.js';

export class WglSearch implements LinearizationSearch {
  readonly algorithm = 'wgl' as const;
  private readonly wordCount: number;
  private readonly configsMax: number;
  /** Lowe's cache: every (linearized set, state) the search has entered. */
  private readonly cache: ConfigTable;
  /** The list: nodes 0..E-1 are the history's events, node E the head. -1 ends it. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly head: number;
  /** The linearized ops of the current configuration. */
  private readonly linearized: Uint32Array;
  /** The backtracking stack: the call nodes linearized, and the state before each. */
  private readonly stackNode: Int32Array;
  private readonly stackState: Int32Array;
  private depth = 0;
  private state: number;
  /** The node the walk is at. */
  private entry: number;
  private outcome: SearchOutcome | undefined;

  constructor(
    private readonly history: PreparedHistory,
    private readonly memo: ModelMemo,
    memoryLimitBytes: number,
  ) {
    const opCount = history.ops.length;
    const eventCount = history.eventOp.length;
    this.wordCount = Math.max(1, Math.ceil(opCount / 32));
    this.configsMax = Math.max(1024, Math.floor(memoryLimitBytes / configBytes(this.wordCount)));
    this.cache = new ConfigTable(this.wordCount);
    this.head = eventCount;
    this.next = new Int32Array(eventCount + 1);
    this.prev = new Int32Array(eventCount + 1);
    for (let node = 0; node < eventCount; node++) {
      this.next[node] = node + 1 < eventCount ? node + 1 : -1;
      this.prev[node] = node === 0 ? this.head : node - 1;
    }
    this.next[this.head] = eventCount > 0 ? 0 : -1;
    this.prev[this.head] = -1;
    this.linearized = new Uint32Array(this.wordCount);
    this.stackNode = new Int32Array(opCount);
    this.stackState = new Int32Array(opCount);
    this.state = memo.initialState;
    this.entry = this.next[this.head] as number;
    this.cache.add(this.linearized, 0, this.state);
  }

  get configCount(): number {
    return this.cache.count;
  }

  advance(workMax: number): SearchOutcome | undefined {
    if (this.outcome) return this.outcome;
    const { next, prev, linearized, stackNode, stackState, cache, memo } = this;
    const { eventOp, eventIsReturn, opClass, returnEvent, sameClassBefore, requiredCount } = this.history;
    const head = this.head;
    let entry = this.entry;
    let state = this.state;
    let depth = this.depth;
    let work = 0;
    for (; work < workMax; work++) {
      if (entry === -1) {
        this.outcome = { kind: 'valid', analyzer: 'wgl' };
        break;
      }
      const op = eventOp[entry] as number;
      if (eventIsReturn[entry] === 0) {
        const before = sameClassBefore[op] as number;
        if (before !== -1 && (((linearized[before >>> 5] as number) >>> (before & 31)) & 1) === 0) {
          // An equal crashed op invoked earlier is not linearized yet: it goes first.
          entry = next[entry] as number;
          continue;
        }
        const nextState = memo.step(state, opClass[op] as number);
        // A crashed op that leaves the state as it is would only be used up: the branch
        // that keeps it for later reaches everything this one could.
        if (nextState !== ILLEGAL_STATE && !(nextState === state && op >= requiredCount)) {
          const word = op >>> 5;
          const bit = 1 << (op & 31);
          linearized[word] = (linearized[word] as number) | bit;
          if (cache.add(linearized, 0, nextState) >= 0) {
            stackNode[depth] = entry;
            stackState[depth] = state;
            depth++;
            state = nextState;
            // Lift the call and its return out of the list, then walk from the front again.
            const ret = returnEvent[op] as number;
            next[prev[entry] as number] = next[entry] as number;
            if (next[entry] !== -1) prev[next[entry] as number] = prev[entry] as number;
            if (ret !== -1) {
              next[prev[ret] as number] = next[ret] as number;
              if (next[ret] !== -1) prev[next[ret] as number] = prev[ret] as number;
            }
            entry = next[head] as number;
            if (cache.count > this.configsMax) {
              this.outcome = { kind: 'unknown', analyzer: 'wgl', reason: `memory limit: more than ${this.configsMax} configurations` };
              break;
            }
            continue;
          }
          linearized[word] = linearized[word] & ~bit;
        }
        entry = next[entry] as number;
        continue;
      }
      // A return whose call is not linearized: this branch is dead.
      if (depth === 0) {
        this.outcome = this.invalidOutcome();
        break;
      }
      depth--;
      const call = stackNode[depth] as number;
      const callOp = eventOp[call] as number;
      state = stackState[depth] as number;
      linearized[callOp >>> 5] = (linearized[callOp >>> 5] as number) & ~(1 << (callOp & 31));
      // Put the return back, then the call: the reverse of lifting.
      const ret = returnEvent[callOp] as number;
      if (ret !== -1) {
        next[prev[ret] as number] = ret;
        if (next[ret] !== -1) prev[next[ret] as number] = ret;
      }
      next[prev[call] as number] = call;
      if (next[call] !== -1) prev[next[call] as number] = call;
      entry = next[call] as number;
    }
    this.entry = entry;
    this.state = state;
    this.depth = depth;
    return this.outcome;
  }

  /**
   * The search has explored every reachable configuration, and all are in the cache. The
   * furthest any got (the longest run of linearized required ids from 0) names the op that
   * could not be linearized; the configurations that got that far are the frontier.
   */
  private invalidOutcome(): SearchOutcome {
    const { cache, wordCount } = this;
    const requiredCount = this.history.requiredCount;
    let furthest = -1;
    let frontierIndexes: number[] = [];
    for (let index = 0; index < cache.count; index++) {
      const reached = Math.min(requiredCount, prefixLength(cache.words, index * wordCount, wordCount));
      if (reached > furthest) {
        furthest = reached;
        frontierIndexes = [index];
      } else if (reached === furthest && frontierIndexes.length < FRONTIER_CONFIGS_MAX) {
        frontierIndexes.push(index);
      }
    }
    const frontier: FrontierConfig[] = frontierIndexes.map((index) => ({
      state: cache.states[index] as number,
      linearized: cache.words.slice(index * wordCount, (index + 1) * wordCount),
    }));
    return { kind: 'invalid', analyzer: 'wgl', failingOp: furthest, frontier };
  }
}

/** How many bits from bit 0 are set, in the bitset at words[offset .. offset + wordCount). */
function prefixLength(words: Uint32Array, offset: number, wordCount: number): number {
  for (let i = 0; i < wordCount; i++) {
    const word = words[offset + i] as number;
    if (word !== 0xffffffff) {
      // The lowest clear bit: count trailing ones.
      const inverted = ~word;
      return i * 32 + (31 - Math.clz32(inverted & -inverted));
    }
  }
  return wordCount * 32;
}
