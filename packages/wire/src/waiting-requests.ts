/**
 * The requests of one stream waiting for their answers, found by sequence.
 *
 * Not a Map alone: a stream adds and removes an entry per request, and a Map under that
 * churn reallocates its table again and again; once the Map is in the old generation, so
 * is each new table, and an abandoned table still points at the requests it held, which
 * then survive young-generation collections with everything their answers hold. Measured
 * on a client at 32 concurrent statements: about 400 bytes a statement promoted, to be
 * collected only by full collections. Here one array, indexed by the sequence's low bits,
 * is kept, and a slot is cleared when its request finishes, so nothing finished stays
 * reachable from it.
 *
 * Sequences are given out one after another (wrapping from SEQUENCE_MAX to 1), so the
 * requests waiting at one time mostly fall in a window of SLOTS. A request still waiting
 * when a sequence a window later needs its slot (a long query under a stream of short
 * ones) moves to a Map on the side, which sees only such rare requests.
 */
export interface Sequenced {
  sequence: number;
}

/** Slots: far more than one client's statements in flight (32 to 128) at once; 2 KB. */
const SLOTS = 256;
/** Sequences run 1..SEQUENCE_MAX (2^32 - 1), so they repeat after this many. */
const SEQUENCES = 0xffff_ffff;
const MASK = SLOTS - 1;

export class WaitingRequests<W extends Sequenced> {
  private readonly slots: Array<W | undefined> = new Array<W | undefined>(SLOTS).fill(undefined);
  /** Requests whose slot was needed by a later one. */
  private readonly aside = new Map<number, W>();
  private count = 0;
  /** No request waiting was given its sequence before this one (see oldest). */
  private head = 0;
  /** The sequence of the request added last. */
  private newest = 0;

  constructor(
    /** The sequence given out after this one. */
    private readonly nextSequence: (sequence: number) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  get(sequence: number): W | undefined {
    const waiting = this.slots[sequence & MASK];
    if (waiting !== undefined && waiting.sequence === sequence) return waiting;
    return this.aside.size > 0 ? this.aside.get(sequence) : undefined;
  }

  /** Adds a request, given its sequence after every request waiting. */
  add(waiting: W): void {
    const slot = waiting.sequence & MASK;
    const earlier = this.slots[slot];
    if (earlier !== undefined) this.aside.set(earlier.sequence, earlier);
    this.slots[slot] = waiting;
    if (this.count === 0) this.head = waiting.sequence;
    this.newest = waiting.sequence;
    this.count += 1;
  }

  /** Removes a request and returns it, or undefined when none waits with that sequence. */
  delete(sequence: number): W | undefined {
    const waiting = this.get(sequence);
    if (waiting === undefined) return undefined;
    if (this.slots[sequence & MASK] === waiting) this.slots[sequence & MASK] = undefined;
    else this.aside.delete(sequence);
    this.count -= 1;
    return waiting;
  }

  /** The request given its sequence first among those waiting (an ordered stream asks after every answer). */
  oldest(): W | undefined {
    if (this.count === 0) return undefined;
    // Every sequence from head to the newest was given out, so a walk forward meets the
    // oldest still waiting. Head only moves past finished requests: over a stream's life
    // the walks take one step a request.
    let waiting = this.get(this.head);
    while (waiting === undefined) {
      this.head = this.nextSequence(this.head);
      waiting = this.get(this.head);
    }
    return waiting;
  }

  /**
   * The requests waiting, oldest first (for the rare paths: a deadline, a broken stream).
   * Read from the slots and the side, not by walking sequences (oldest() from a head
   * that only an ordered stream keeps moving): one long query under 50,000 statements a
   * second is millions of sequences behind.
   */
  values(): W[] {
    const all = [...this.aside.values()];
    for (const waiting of this.slots) if (waiting !== undefined) all.push(waiting);
    // Age: how long before the newest a sequence was given out, across the wrap to 1.
    const ageOf = (waiting: W) => (this.newest - waiting.sequence + SEQUENCES) % SEQUENCES;
    return all.sort((a, b) => ageOf(b) - ageOf(a));
  }

  clear(): void {
    this.slots.fill(undefined);
    this.aside.clear();
    this.count = 0;
  }
}
