/**
 * Splits a list into consecutive chunks bounded in count and in bytes, so that no message
 * built from one chunk nears a receiver's limit however large the items. An item larger
 * than the byte bound alone is a chunk of its own (it cannot be split). Pure.
 */
export function chunkByBytes<T>(items: readonly T[], bytesOf: (item: T) => number, bytesMax: number, itemsMax: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (chunk.length > 0 && (chunk.length >= itemsMax || bytes + size > bytesMax)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** How many of the first items fit one chunk (at least one): chunkByBytes' first chunk, without building the rest. */
export function firstChunkLength<T>(items: readonly T[], bytesOf: (item: T) => number, bytesMax: number, itemsMax: number): number {
  let bytes = 0;
  let count = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (count > 0 && (count >= itemsMax || bytes + size > bytesMax)) break;
    bytes += size;
    count += 1;
  }
  return count;
}
