/**
 * The rows of a select as they are built, within both result limits: past `rowsMax`
 * the rows are cut and the result marked truncated; past `bytesMax` the select is
 * refused with LIMIT_EXCEEDED instead of filling the process's memory (rows are built in
 * full before they are sent). The one loop the region's thread and the query workers
 * both read rows with. Pure over the iterator.
 */
import { errors, valueBytes } from '@minisql/common';

/** Bytes one result may hold at most, by default (the rows' values, as sent). */
export const RESULT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** About what a row weighs on the wire: the sum of its values. */
export function rowBytes(row: readonly unknown[]): number {
  let bytes = 2;
  for (const value of row) bytes += valueBytes(value);
  return bytes;
}

/**
 * Reads rows from `iterator` up to the limits. Leaving a better-sqlite3 iterate() loop
 * early (the cut, or the throw) resets its statement, as iterate() documents.
 */
export function collectRows(iterator: Iterable<unknown[]>, rowsMax: number, bytesMax: number): { rows: unknown[][]; truncated: boolean } {
  const rows: unknown[][] = [];
  let bytes = 0;
  for (const row of iterator) {
    if (rows.length >= rowsMax) return { rows, truncated: true };
    bytes += rowBytes(row);
    if (bytes > bytesMax) throw errors.limitExceeded('bytes of one result (the setting resultBytesMax)', bytesMax);
    rows.push(row);
  }
  return { rows, truncated: false };
}
