/**
 * A table move (`move table T to g2`), the regions' halves; the master drives it
 * (master/src/table-move.ts):
 * - on the source group's primary: a snapshot of the table for each member of the target
 *   group (SnapshotStore, with the log after it kept until the move ends), the entries
 *   logged after a position (ReadLog), and the hold that ends the move (ClusterExecutor);
 * - on each target member: the snapshot fetched over FTP and installed, at the source's
 *   positions and with its log of request ids, so a client's retry of a write the source
 *   acknowledged is answered from the log after the switch, not applied twice;
 * - on the target primary: the source's entries applied (same positions, same time and
 *   seed) and replicated to its in-sync replicas before the answer.
 * Neither side serves the table's statements but the group its placement names
 * (fencing.ts): the target before the switch and the source after it refuse them.
 */
import { join } from 'node:path';
import {
  errors,
  nameKey,
  type FetchTableRequest__Output,
  type LogEntry,
  type LogEntry__Output,
  type Logger,
  type PlacementRecord,
  type SnapshotResponse,
  type TlsIdentity,
} from '@minisql/common';
import type { FtpLogins } from './ftp-logins.js';
import type { GroupMembership } from './group-membership.js';
import type { GroupRole } from './group-role.js';
import { fromLogEntry, loggedWriteBytes, toLogEntry } from './log-entry.js';
import type { QueryConnection } from './query-connection.js';
import type { Replicator } from './replicator.js';
import { fetchSnapshot } from './snapshot-fetcher.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { SqlEngine } from './sql-engine.js';
import type { TableCatalog } from './table-catalog.js';

/** Most entries one ReadLog answer carries. */
export const READ_LOG_ENTRIES_MAX = 5_000;
/** Most bytes (about) of entries one ReadLog answer carries. */
export const READ_LOG_BYTES_MAX = 16 * 1024 * 1024;

export class TableMoves {
  constructor(
    private readonly engine: SqlEngine,
    private readonly catalog: TableCatalog,
    private readonly queries: QueryConnection,
    private readonly membership: GroupMembership,
    private readonly replicator: Replicator,
    private readonly snapshots: SnapshotStore,
    private readonly logins: FtpLogins,
    private readonly tls: TlsIdentity | undefined,
    private readonly incomingDir: string,
    private readonly logger: Logger,
  ) {}

  /** Source primary: a snapshot of `table` for `forRegion` to fetch, with a login for it alone. */
  async snapshotTable(table: string, forRegion: string): Promise<SnapshotResponse> {
    await this.sourcePlacement(table);
    const snapshot = await this.snapshots.snapshotForMove(table, forRegion);
    const login = this.logins.issue(moveHolder(table, forRegion), [snapshot.file]);
    this.logger.info('snapshot made for a table move', { table, forRegion, position: snapshot.position });
    return { tables: [snapshot], ftp_user: login.user, ftp_password: login.password };
  }

  /** Source primary: entries after `after`, at most `entriesMax` (and about 16 MiB). */
  async readLog(table: string, after: number, entriesMax: number): Promise<{ entries: LogEntry[]; position: number }> {
    await this.sourcePlacement(table);
    const file = this.engine.tableFile(table);
    const limit = Math.min(Math.max(1, entriesMax || READ_LOG_ENTRIES_MAX), READ_LOG_ENTRIES_MAX);
    const records = file.logSince(after, limit);
    if (records === undefined) throw errors.unavailable(this.membership.regionId, `its log of table \`${file.name}\` no longer reaches back to ${after}`);
    const entries: LogEntry[] = [];
    let bytes = 0;
    for (const record of records) {
      const write = { table: file.name, record };
      bytes += loggedWriteBytes(write);
      if (entries.length > 0 && bytes > READ_LOG_BYTES_MAX) break;
      entries.push(toLogEntry(write));
    }
    return { entries, position: file.position };
  }

  /** Source primary, when the move ends (switched or given up): its snapshots, logins and log holds go. */
  moveEnded(table: string): void {
    this.snapshots.removeMove(table, (forRegion) => this.logins.revokeFor(moveHolder(table, forRegion)));
  }

  /**
   * After each read of the view: the snapshots of moves that ended without a word to this
   * region (the master died, the hold ran out, another region leads now) go, with the log
   * they kept, once the table's placement shows no move under way.
   */
  sweep(): void {
    for (const table of this.snapshots.tablesMoving()) {
      if (this.membership.placements.get(nameKey(table))?.movingTo === undefined) this.moveEnded(table);
    }
  }

  /** Target member: fetches the snapshot named over FTP and installs it; returns its position. */
  async fetch(request: FetchTableRequest__Output): Promise<number> {
    const { role, placement } = await this.placementNow(request.table, (role, placement) => placement?.movingTo === groupOf(role));
    if ((role.kind !== 'primary' && role.kind !== 'replica') || placement?.movingTo !== role.group.id) {
      throw errors.invalidArgument(`fetch of table \`${request.table}\``, `no move of it to this region's group is under way`);
    }
    const snapshot = request.snapshot;
    if (!snapshot || nameKey(snapshot.table) !== nameKey(request.table) || !/^[\w.-]+$/.test(snapshot.file)) {
      throw errors.invalidArgument(`fetch of table \`${request.table}\``, 'the snapshot named is not of this table, or its file name is not a plain name');
    }
    const destination = join(this.incomingDir, snapshot.file);
    await fetchSnapshot(
      request.ftp_address,
      { user: request.ftp_user, password: request.ftp_password },
      this.tls,
      { ...snapshot, position: Number(snapshot.position), bytes: Number(snapshot.bytes) },
      destination,
      this.logger,
      () => undefined,
    );
    this.queries.detach(snapshot.table);
    this.catalog.install(snapshot.table, destination);
    this.logger.info('fetched a table being moved here', { table: snapshot.table, position: Number(snapshot.position), bytes: Number(snapshot.bytes) });
    return this.engine.tableFile(snapshot.table).position;
  }

  /** Target primary: applies the source's entries and replicates them; returns the table's position. */
  async applyEntries(table: string, entries: readonly LogEntry__Output[]): Promise<number> {
    const { role, placement } = await this.placementNow(table, (role, placement) => placement?.movingTo === groupOf(role));
    if (role.kind !== 'primary' || placement?.movingTo !== role.group.id) {
      throw errors.invalidArgument(`entries of table \`${table}\``, `this region is not the primary of a group receiving it`);
    }
    if (entries.some((entry) => nameKey(entry.table) !== nameKey(table)))
      throw errors.invalidArgument(`entries of table \`${table}\``, 'they name another table');
    const writes = entries.map(fromLogEntry);
    const file = this.engine.tableFile(table);
    // Entries this region holds already (a retry from the master) are checked and skipped.
    const fresh = writes.filter((write) => write.record.position > file.position);
    this.engine.applyBatch(writes);
    await this.engine.durable([table]);
    await this.replicator.ship(role.group, fresh).settle();
    return file.position;
  }

  /** The source's checks: this region leads the group serving `table`, and a move of it is under way. */
  private async sourcePlacement(table: string): Promise<void> {
    const { role, placement } = await this.placementNow(table, (role, placement) => placement?.group === groupOf(role) && placement?.movingTo !== undefined);
    if (role.kind !== 'primary' || placement?.group !== role.group.id || placement.movingTo === undefined) {
      throw errors.invalidArgument(`move of table \`${table}\``, `this region is not the primary of a group moving it out`);
    }
  }

  /**
   * This region's role and the table's placement, read from etcd again when they do not
   * pass `expected` yet: the master calls right after writing the placement, and the
   * watch may not have brought it here.
   */
  private async placementNow(
    table: string,
    expected: (role: GroupRole, placement: PlacementRecord | undefined) => boolean,
  ): Promise<{ role: GroupRole; placement: PlacementRecord | undefined }> {
    let role = this.membership.current;
    let placement = this.membership.placements.get(nameKey(table));
    if (!expected(role, placement)) {
      role = await this.membership.refresh();
      placement = this.membership.placements.get(nameKey(table));
    }
    return { role, placement };
  }
}

function groupOf(role: GroupRole): string | undefined {
  return role.kind === 'primary' || role.kind === 'replica' ? role.group.id : undefined;
}

/** Who a move's snapshot and login are for. */
function moveHolder(table: string, forRegion: string): string {
  return `move:${nameKey(table)}:${forRegion}`;
}
