/**
 * Snapshots of every table on the primary, in the folder its FTP server serves, each at
 * a known log position (see TableFile.snapshotTo) and with its SHA-256 so the replica can
 * check what it downloaded.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Of } from '@minisql/common';
import type { TableCatalog } from './table-catalog.js';
import type { TableFile } from './table-file.js';

export interface Snapshot {
  table: string;
  file: string;
  position: number;
  sha256: string;
  bytes: number;
}

/** Snapshots older than this are deleted even if no replica confirmed them, in milliseconds. */
export const SNAPSHOT_MAX_AGE_MS = 30 * 60_000;

export class SnapshotStore {
  /** Snapshot files made for each replica; a new request replaces its earlier ones. */
  private readonly byReplica = new Map<string, string[]>();
  /** Snapshot files made for table moves, by lower-case table name and then by the region fetching. */
  private readonly byMove = new Map<string, Map<string, string>>();
  /** The log holds each snapshot keeps (see TableFile.holdLogAfter), by file, with when it was made. */
  private readonly holds = new Map<string, { release: () => void; madeAtMs: number }>();

  constructor(
    private readonly catalog: TableCatalog,
    readonly directory: string,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  async snapshotAll(replica: string): Promise<Snapshot[]> {
    this.removeOld();
    // A replica asking again gave up on its earlier copy: those files go.
    this.remove(this.byReplica.get(replica) ?? []);
    const snapshots: Snapshot[] = [];
    for (const table of this.catalog.list()) snapshots.push(await this.snapshotOne(table));
    this.byReplica.set(
      replica,
      snapshots.map((s) => s.file),
    );
    return snapshots;
  }

  /**
   * A snapshot of one table for a region of the group it moves to; the log after it is kept
   * until the move ends (removeMove), not by the group's catching-up replicas.
   */
  async snapshotForMove(name: string, forRegion: string): Promise<Snapshot> {
    this.removeOld();
    const table = this.catalog.require(name);
    const byRegion = this.byMove.get(table.name.toLowerCase()) ?? new Map<string, string>();
    this.byMove.set(table.name.toLowerCase(), byRegion);
    const earlier = byRegion.get(forRegion);
    if (earlier !== undefined) this.remove([earlier]);
    const snapshot = await this.snapshotOne(table);
    byRegion.set(forRegion, snapshot.file);
    return snapshot;
  }

  /** Tables with move snapshots (lower-case names). */
  tablesMoving(): string[] {
    return [...this.byMove.keys()];
  }

  /** A move ended: its snapshots and their log holds go; `forEach` is told each region they were for. */
  removeMove(name: string, forEach: (forRegion: string) => void = () => undefined): void {
    const byRegion = this.byMove.get(name.toLowerCase());
    if (!byRegion) return;
    this.remove([...byRegion.values()]);
    for (const region of byRegion.keys()) forEach(region);
    this.byMove.delete(name.toLowerCase());
  }

  private async snapshotOne(table: TableFile): Promise<Snapshot> {
    const file = `${table.name.toLowerCase()}-${randomUUID()}.sqlite`;
    const path = join(this.directory, file);
    const position = await table.snapshotTo(path);
    // The entries after the snapshot stay in the log until the copy is done with it.
    this.holds.set(file, { release: table.holdLogAfter(position), madeAtMs: Date.now() });
    return { table: table.name, file, position, sha256: await sha256Of(path), bytes: statSync(path).size };
  }

  /**
   * Deletes the snapshots of every replica not in `replicas` (those still catching up in
   * this primary's group), and the log they held: a replica that died or left the group
   * in the middle of its copy will not ask for them. Before, they stayed 30 minutes.
   */
  keepOnlyFor(replicas: readonly string[]): void {
    for (const [replica, files] of this.byReplica) {
      if (replicas.includes(replica)) continue;
      this.remove(files);
      this.byReplica.delete(replica);
    }
  }

  /** Deletes snapshots once a replica has joined with them. */
  remove(files: readonly string[]): void {
    // Only plain names of this folder: a request cannot delete anything else.
    for (const file of files) {
      this.holds.get(file)?.release();
      this.holds.delete(file);
      if (/^[\w.-]+$/.test(file)) rmSync(join(this.directory, file), { force: true });
    }
  }

  private removeOld(): void {
    const now = Date.now();
    for (const [file, hold] of this.holds) {
      if (now - hold.madeAtMs > SNAPSHOT_MAX_AGE_MS) {
        hold.release();
        this.holds.delete(file);
      }
    }
    for (const file of readdirSync(this.directory)) {
      const path = join(this.directory, file);
      if (now - statSync(path).mtimeMs > SNAPSHOT_MAX_AGE_MS) rmSync(path, { force: true });
    }
  }
}
