/**
 * A hash set of search configurations: a bitset of a fixed number of 32-bit words and a
 * model state id. Both searches keep theirs here (WGL: linearized ops and state; linear:
 * linearized pending ops and state). Everything lives in typed arrays, so a million
 * configurations cost tens of megabytes and no garbage collection.
 */

const INITIAL_CAPACITY = 256;

export class ConfigTable {
  /** Configurations held. */
  count = 0;
  /** The bitsets, `wordCount` words per configuration, in insertion order. */
  words: Uint32Array;
  /** The model state id per configuration. */
  states: Int32Array;
  private hashes: Int32Array;
  /** Open-addressing slots: a configuration's index + 1, or 0 when empty. */
  private slots: Int32Array;
  private slotMask: number;

  constructor(readonly wordCount: number) {
    this.words = new Uint32Array(INITIAL_CAPACITY * wordCount);
    this.states = new Int32Array(INITIAL_CAPACITY);
    this.hashes = new Int32Array(INITIAL_CAPACITY);
    this.slots = new Int32Array(INITIAL_CAPACITY * 2);
    this.slotMask = INITIAL_CAPACITY * 2 - 1;
  }

  /** Bytes held, for the memory limit. */
  get byteCount(): number {
    return this.words.byteLength + this.states.byteLength + this.hashes.byteLength + this.slots.byteLength;
  }

  /**
   * Adds (source[offset .. offset + wordCount), state) unless present. Returns the new
   * configuration's index, or -1 when it was already there.
   */
  add(source: Uint32Array, offset: number, state: number): number {
    const wordCount = this.wordCount;
    let hash = Math.imul(state ^ 0x5bd1e995, 0x9e3779b1);
    for (let i = 0; i < wordCount; i++) {
      hash = Math.imul(hash ^ (source[offset + i] as number), 0x85ebca6b);
      hash ^= hash >>> 15;
    }
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    hash ^= hash >>> 16;

    const slots = this.slots;
    const mask = this.slotMask;
    let slot = hash & mask;
    for (;;) {
      const held = slots[slot] as number;
      if (held === 0) break;
      const index = held - 1;
      if (this.hashes[index] === hash && this.states[index] === state && this.sameWords(index, source, offset)) return -1;
      slot = (slot + 1) & mask;
    }
    if (this.count === this.states.length) {
      this.grow();
      return this.add(source, offset, state);
    }
    const index = this.count++;
    this.hashes[index] = hash;
    this.states[index] = state;
    this.words.set(source.subarray(offset, offset + wordCount), index * wordCount);
    slots[slot] = index + 1;
    return index;
  }

  /** Empties the table, keeping its memory. */
  clear(): void {
    if (this.count === 0) return;
    if (this.count * 8 < this.slots.length) {
      // Few entries in a big table: find and empty just their slots.
      for (let index = 0; index < this.count; index++) {
        let slot = (this.hashes[index] as number) & this.slotMask;
        while (this.slots[slot] !== index + 1) slot = (slot + 1) & this.slotMask;
        this.slots[slot] = 0;
      }
    } else {
      this.slots.fill(0);
    }
    this.count = 0;
  }

  private sameWords(index: number, source: Uint32Array, offset: number): boolean {
    const words = this.words;
    const base = index * this.wordCount;
    for (let i = 0; i < this.wordCount; i++) if (words[base + i] !== source[offset + i]) return false;
    return true;
  }

  private grow(): void {
    const capacity = this.states.length * 2;
    const words = new Uint32Array(capacity * this.wordCount);
    words.set(this.words);
    this.words = words;
    const states = new Int32Array(capacity);
    states.set(this.states);
    this.states = states;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.slots = new Int32Array(capacity * 2);
    this.slotMask = capacity * 2 - 1;
    for (let index = 0; index < this.count; index++) {
      let slot = (hashes[index] as number) & this.slotMask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.slotMask;
      this.slots[slot] = index + 1;
    }
  }
}
