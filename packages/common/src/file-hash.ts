/** The SHA-256 of a file, read as a stream (table snapshots and backups can be large). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
