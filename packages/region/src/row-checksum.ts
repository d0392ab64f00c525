/**
 * A checksum of the rows a write changed (as `RETURNING *` gives them: the new image of
 * an inserted or updated row, the old image of a deleted one). The primary logs it with
 * the write and a replica compares its own after applying the entry: a replica whose rows
 * differ from its primary's is caught at the first write that touches them.
 *
 * The sum of a 64-bit hash per row (two 32-bit lanes), so the order in which SQLite
 * returns the rows does not matter. Not cryptographic: it catches divergence, not an
 * attacker.
 */
export class RowChecksum {
  private low = 0;
  private high = 0;
  private rows = 0;

  add(row: readonly unknown[]): void {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (const value of row) {
      const text = encodeValue(value);
      for (let i = 0; i < text.length; i += 1) {
        const c = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      }
      // A separator no encoded value contains keeps ('ab', 'c') apart from ('a', 'bc').
      h1 = Math.imul(h1 ^ 0xffff, 0x01000193);
      h2 = Math.imul(h2 ^ 0xffff, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    this.low = (this.low + (h1 >>> 0)) >>> 0;
    this.high = (this.high + (h2 >>> 0)) >>> 0;
    this.rows += 1;
  }

  /** Rows added so far. */
  get count(): number {
    return this.rows;
  }

  /** 16 hex digits. */
  digest(): string {
    return this.high.toString(16).padStart(8, '0') + this.low.toString(16).padStart(8, '0');
  }
}

/** One value as text, tagged with its kind, so the number 1 and the text '1' differ. */
function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return 'n';
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? `i${value}` : `r${value}`;
    case 'bigint':
      return `i${value}`;
    case 'string':
      return `t${value}`;
    default:
      return Buffer.isBuffer(value) ? `b${value.toString('hex')}` : `?${JSON.stringify(value) ?? typeof value}`;
  }
}
