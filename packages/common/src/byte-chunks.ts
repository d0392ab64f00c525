/**
 * About what one SQL value weighs in a message: a text or a blob its length plus a
 * length prefix, anything else (a number, a bigint, NULL) a few bytes. The estimate every
 * byte bound of a result or a batch counts with.
 */
export function valueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (value instanceof Uint8Array) return value.length + 2;
  return 10;
}

/**
 * Splits a list into consecutive chunks bounded in count and in bytes, so that no message
 * built from one chunk nears a receiver's limit however large the items. An item larger
 * than the byte bound alone is a chunk of its own (it cannot be split). Pure.
 */
export function chunkByBytes<T>(items: readonly T[], bytesOf: (item: T) => number, bytesMax: number, itemsMax: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length;) {
    const length = firstChunkLength(items, bytesOf, bytesMax, itemsMax, start);
    chunks.push(items.slice(start, start + length));
    start += length;
  }
  return chunks;
}

/** How many items from `start` on fit one chunk (at least one while any is left). */
export function firstChunkLength<T>(items: readonly T[], bytesOf: (item: T) => number, bytesMax: number, itemsMax: number, start = 0): number {
  let bytes = 0;
  let count = 0;
  for (let i = start; i < items.length; i++) {
    const size = bytesOf(items[i] as T);
    if (count > 0 && (count >= itemsMax || bytes + size > bytesMax)) break;
    bytes += size;
    count += 1;
  }
  return count;
}
