/**
 * Request ids: a client names each statement so that a retry of a write it already
 * made is answered from the region's log instead of applied again.
 *
 * They are UUIDs of version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then
 * random bits. Ids made close in time sort close together, so a region's index of
 * request ids grows at its right edge: a write dirties one or two index pages instead
 * of a random page each (random UUIDs made the index the largest part of a commit).
 */
import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn this many at a time: one call into the CSPRNG costs as much as hundreds of ids. */
const POOL_BYTES = 4_096;
const RANDOM_BYTES_PER_ID = 10;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;
const bytes = Buffer.alloc(16);

export function newRequestId(nowMs = Date.now()): string {
  if (poolOffset + RANDOM_BYTES_PER_ID > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(bytes, 6, poolOffset, poolOffset + RANDOM_BYTES_PER_ID);
  poolOffset += RANDOM_BYTES_PER_ID;
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70; // version 7
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
