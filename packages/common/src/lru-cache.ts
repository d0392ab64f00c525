/** A bounded least-recently-used map: prepared statements, analysed statements. */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  /**
   * The most recently used key: a hit on it needs no re-insert. A client sending one
   * statement shape after another hits the same key every time, and the delete and
   * re-insert of a Map entry was a third of a literal statement's shaping.
   */
  private newest: K | undefined;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined && key !== this.newest) {
      // Re-insert to mark as most recently used: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, value);
      this.newest = key;
    }
    return value;
  }

  /** Sets `key`; returns the value of the least recently used entry if that made room. */
  set(key: K, value: V): V | undefined {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    return this.entries.size > this.capacity ? this.removeOldest() : undefined;
  }

  /** Removes the least recently used entry; returns its value. */
  removeOldest(): V | undefined {
    const oldest = this.entries.entries().next();
    if (oldest.done) return undefined;
    this.entries.delete(oldest.value[0]);
    if (this.entries.size === 0) this.newest = undefined;
    return oldest.value[1];
  }

  /** The values, least recently used first, without using them. */
  values(): IterableIterator<V> {
    return this.entries.values();
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
