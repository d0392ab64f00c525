/**
 * Snapshots of every table on the primary, in the folder its FTP server serves: made
 * together (one synchronous pass, so each holds exactly its table's log position at that
 * moment), each with its SHA-256 so the replica can check what it downloaded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TableCatalog } from './table-catalog.js';

export interface Snapshot {
  table: string;
  file: string;
  position: number;
  sha256: string;
  bytes: number;
}

/** Snapshots older than this are deleted even if no replica confirmed them, in milliseconds. */
export const SNAPSHOT_MAX_AGE_MS = 30 * 60_000;

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class SnapshotStore {
  constructor(
    private readonly catalog: TableCatalog,
    readonly directory: string,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  async snapshotAll(): Promise<Snapshot[]> {
    this.removeOld();
    const made = this.catalog.list().map((table) => {
      const file = `${table.name.toLowerCase()}-${randomUUID()}.sqlite`;
      const position = table.snapshotTo(join(this.directory, file));
      return { table: table.name, file, position };
    });
    return Promise.all(
      made.map(async (snapshot) => {
        const path = join(this.directory, snapshot.file);
        return { ...snapshot, sha256: await sha256Of(path), bytes: statSync(path).size };
      }),
    );
  }

  /** Deletes snapshots once a replica has joined with them. */
  remove(files: readonly string[]): void {
    for (const file of files) rmSync(join(this.directory, file), { force: true });
  }

  private removeOld(): void {
    const now = Date.now();
    for (const file of readdirSync(this.directory)) {
      const path = join(this.directory, file);
      if (now - statSync(path).mtimeMs > SNAPSHOT_MAX_AGE_MS) rmSync(path, { force: true });
    }
  }
}
