/**
 * The size of a result as it is built, so a select that would build more than the
 * region's byte limit is refused with LIMIT_EXCEEDED instead of filling the region's
 * memory (rows are built in full before they are sent). Pure.
 */
import { errors } from '@minisql/common';

/** Bytes one result may hold at most, by default (the rows' values, as sent). */
export const RESULT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** About what a row weighs on the wire: its texts and blobs, and 9 bytes per number. */
export function rowBytes(row: readonly unknown[]): number {
  let bytes = 2;
  for (const value of row) {
    if (typeof value === 'string') bytes += value.length + 2;
    else if (value instanceof Uint8Array) bytes += value.length + 2;
    else bytes += 9;
  }
  return bytes;
}

/** Counts the bytes of rows as they are added; throws LIMIT_EXCEEDED naming the limit past it. */
export class ResultBytes {
  private bytes = 0;

  constructor(private readonly bytesMax: number) {}

  add(row: readonly unknown[]): void {
    this.bytes += rowBytes(row);
    if (this.bytes > this.bytesMax) throw errors.limitExceeded('bytes of one result', this.bytesMax);
  }
}
