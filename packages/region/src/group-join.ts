/**
 * Bringing a replica into its group, both halves:
 * - on the primary, Snapshot (every table copied at a known position into the FTP
 *   folder) and Join (writes paused, the entries logged since the snapshots sent, the
 *   replica added to the in-sync set in etcd, writes resumed);
 * - on a catching-up replica, CatchUp: ask for snapshots, download and check them over
 *   FTP, install them, then ask to join. Writes keep flowing on the primary during the copy.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  assignmentOf,
  errors,
  joinRefusal,
  MiniSqlError,
  type JoinRequest__Output,
  type SnapshotRequest__Output,
  type Logger,
  type ReplicationServiceClient,
  type SnapshotResponse,
  type TableSnapshot__Output,
  type GroupRecord,
  type TlsIdentity,
} from '@minisql/common';
import { replicationStub } from '@minisql/wire';
import type { ClusterExecutor } from './cluster-executor.js';
import type { GroupMembership } from './group-membership.js';
import type { GroupRole } from './group-role.js';
import type { QueryConnection } from './query-connection.js';
import type { Replicator } from './replicator.js';
import type { FtpLogins } from './ftp-logins.js';
import { CopyProgress } from './copy-progress.js';
import { fetchSnapshot } from './snapshot-fetcher.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { LoggedWrite } from './sql-engine.js';
import type { TableCatalog } from './table-catalog.js';

/** Pause between attempts to catch up, in milliseconds. */
const CATCH_UP_RETRY_DELAY_MS = 1_000;
/** Tables smaller than this copy too fast to need progress lines, in bytes. */
const COPY_PROGRESS_BYTES_MIN = 50 * 1024 * 1024;
/** Time the primary may take to snapshot every table, in milliseconds. */
const SNAPSHOT_TIMEOUT_MS = 120_000;

/** The primary's half. */
export class JoinCoordinator {
  constructor(
    private readonly membership: GroupMembership,
    private readonly catalog: TableCatalog,
    private readonly snapshots: SnapshotStore,
    private readonly replicator: Replicator,
    private readonly executor: ClusterExecutor,
    private readonly logins: FtpLogins,
    private readonly logger: Logger,
  ) {}

  async snapshot(request: SnapshotRequest__Output): Promise<SnapshotResponse> {
    const replica = request.replica_id;
    this.catchingUpGroup(request.group_id, request.epoch, replica, request.assignment);
    const tables = await this.snapshots.snapshotAll(replica);
    const login = this.logins.issue(
      replica,
      tables.map((t) => t.file),
    );
    this.logger.info('snapshots made for a catching-up replica', { replica, tables: tables.map((t) => `${t.table}@${t.position}`) });
    return { tables, ftp_user: login.user, ftp_password: login.password };
  }

  async join(request: JoinRequest__Output): Promise<void> {
    const group = this.catchingUpGroup(request.group_id, request.epoch, request.replica_id, request.assignment);
    const positions = new Map(request.positions.map((p) => [p.table.toLowerCase(), p.position]));
    // The tail in two parts: what was logged during the copy goes while writes go on (it
    // may be long: the log is kept for the copy, see SnapshotStore); only what lands
    // meanwhile goes with writes paused, so the pause stays short however busy the group.
    const before = await this.sendTail(request.replica_id, group, positions);
    await this.executor.whileWritesPaused(async () => {
      const paused = await this.sendTail(request.replica_id, group, positions);
      // Compared again in etcd: the replica may have left the group and been given back
      // while the tail went (and discarded its copy in between).
      if (!(await this.membership.admitToInSync(group.id, group.epoch, request.replica_id, request.assignment))) {
        const role = this.membership.current;
        const why = role.kind === 'primary' && role.group.id === group.id ? joinRefusal(role.group, request.replica_id, request.assignment) : undefined;
        throw errors.notPrimary(this.membership.regionId, why ?? `group ${group.id} changed while ${request.replica_id} was joining`);
      }
      this.logger.info('replica joined the in-sync set', {
        group: group.id,
        replica: request.replica_id,
        entriesSent: before + paused,
        entriesSentPaused: paused,
      });
    });
    this.snapshots.remove(request.files);
    this.logins.revokeFor(request.replica_id);
  }

  /**
   * Sends the replica every entry after `positions` (by lowercased table name) and moves
   * `positions` to what was sent; returns how many entries went.
   */
  private async sendTail(replica: string, group: GroupRecord, positions: Map<string, number>): Promise<number> {
    const missing: LoggedWrite[] = [];
    for (const table of this.catalog.list()) {
      const since = positions.get(table.name.toLowerCase()) ?? 0;
      const records = table.logSince(since);
      if (records === undefined)
        throw errors.unavailable(replica, `it is too far behind on table \`${table.name}\` (at ${since}); it must copy the table again`);
      for (const record of records) missing.push({ table: table.name, record });
    }
    await this.replicator.sendTo(replica, group, missing);
    for (const { table, record } of missing) positions.set(table.toLowerCase(), Math.max(positions.get(table.toLowerCase()) ?? 0, record.position));
    return missing.length;
  }

  private catchingUpGroup(groupId: string, epoch: number, replica: string, assignment: string) {
    const role = this.membership.current;
    if (role.kind !== 'primary' || role.group.id !== groupId) throw errors.notPrimary(this.membership.regionId, `it does not lead ${groupId}`);
    if (role.group.epoch !== epoch) throw errors.staleEpoch(groupId, role.group.epoch, epoch);
    const refusal = joinRefusal(role.group, replica, assignment);
    if (refusal !== undefined) throw errors.invalidArgument('join request', refusal);
    return role.group;
  }
}

/** The catching-up replica's half. */
export class CatchUp {
  private running = false;
  /**
   * Counts the times this region found itself a spare (when RegionServer discards its
   * tables). A copy that sees it move was made for an assignment that ended: it stops
   * before it installs another table or joins.
   */
  private timesSpare = 0;

  constructor(
    private readonly membership: GroupMembership,
    private readonly catalog: TableCatalog,
    private readonly queries: QueryConnection,
    /** This region's certificate, for the call to the primary and the FTP copy; plaintext without one. */
    private readonly tls: TlsIdentity | undefined,
    private readonly incomingDir: string,
    private readonly logger: Logger,
    /** Where the copy under way is shown (the region's metrics). */
    private readonly progress: CopyProgress = new CopyProgress(),
  ) {
    mkdirSync(incomingDir, { recursive: true });
  }

  /** Starts catching up when the role says so; one run at a time. */
  onRole(role: GroupRole): void {
    if (role.kind === 'spare') this.timesSpare++;
    if (role.kind === 'replica' && !role.inSync && !this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let role = this.membership.current; role.kind === 'replica' && !role.inSync; role = this.membership.current) {
        try {
          await this.once(role.group.id, role.group.epoch, role.group.primary, assignmentOf(role.group, this.membership.regionId));
          return;
        } catch (error) {
          this.logger.warn('catching up failed; trying again', { error: MiniSqlError.from(error).message });
          await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_DELAY_MS));
          await this.membership.refresh().catch(() => undefined);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async once(groupId: string, epoch: number, primary: string, assignment: string): Promise<void> {
    const timesSpare = this.timesSpare;
    const stillCurrent = (step: string): void => {
      if (this.timesSpare !== timesSpare)
        throw errors.unavailable(primary, `this region left group ${groupId} ${step} and discarded its tables; it copies again`);
    };
    const address = this.membership.addressOf(primary);
    const ftp = this.membership.ftpAddressOf(primary);
    if (!address || !ftp) throw errors.unavailable(primary, 'the primary is not registered');
    const stub: ReplicationServiceClient = replicationStub(address, this.tls);
    try {
      const response = await call<SnapshotResponse>((done) =>
        stub.Snapshot({ group_id: groupId, epoch, replica_id: this.membership.regionId, assignment }, { deadline: Date.now() + SNAPSHOT_TIMEOUT_MS }, done),
      );
      const tables = (response.tables ?? []) as TableSnapshot__Output[];
      const login = { user: response.ftp_user ?? '', password: response.ftp_password ?? '' };
      const started = Date.now();
      let bytes = 0;
      this.progress.started(tables.reduce((sum, table) => sum + Number(table.bytes), 0));
      for (const snapshot of tables) {
        const destination = join(this.incomingDir, snapshot.file);
        let loggedTenths = 0;
        await fetchSnapshot(
          ftp,
          login,
          this.tls,
          { ...snapshot, position: Number(snapshot.position), bytes: Number(snapshot.bytes) },
          destination,
          this.logger,
          (progress) => {
            this.progress.fetching(progress.table, progress.bytes);
            // A line every tenth of a large table, so a long copy shows it is moving.
            const tenths = progress.totalBytes > 0 ? Math.floor((progress.bytes / progress.totalBytes) * 10) : 0;
            if (tenths > loggedTenths && progress.totalBytes >= COPY_PROGRESS_BYTES_MIN) {
              loggedTenths = tenths;
              this.logger.info('copying', {
                table: progress.table,
                megabytes: Math.round(progress.bytes / 1e6),
                ofMegabytes: Math.round(progress.totalBytes / 1e6),
                percent: tenths * 10,
              });
            }
          },
        );
        stillCurrent('during the copy');
        this.queries.detach(snapshot.table);
        this.catalog.install(snapshot.table, destination);
        bytes += Number(snapshot.bytes);
        this.progress.tableDone(Number(snapshot.bytes));
      }
      // Tables the primary no longer has were dropped while this region was away.
      const kept = new Set(tables.map((t) => t.table.toLowerCase()));
      for (const table of this.catalog.list()) {
        if (!kept.has(table.name.toLowerCase())) {
          this.queries.detach(table.name);
          this.catalog.drop(table.name);
        }
      }
      const seconds = (Date.now() - started) / 1000;
      this.logger.info("copied the group's tables over FTP", {
        tables: tables.length,
        bytes,
        seconds,
        megabytesPerSecond: seconds > 0 ? bytes / 1e6 / seconds : 0,
      });
      stillCurrent('during the copy');
      const positions = this.catalog.list().map((table) => ({ table: table.name, position: table.position }));
      // The primary admits the Join only under the same assignment: if this region leaves
      // the group (and discards its tables) while the Join waits, the Join is refused.
      await call((done) =>
        stub.Join(
          { group_id: groupId, epoch, replica_id: this.membership.regionId, positions, files: tables.map((t) => t.file), assignment },
          { deadline: Date.now() + SNAPSHOT_TIMEOUT_MS },
          done,
        ),
      );
      await this.membership.refresh();
      this.progress.finished(true);
    } finally {
      this.progress.finished(false); // a copy that failed starts over; one that joined is counted above
      stub.close();
    }
  }
}

/** A unary call whose response may carry an Error: resolves with the response or throws. */
function call<T extends { error?: { code?: string } | null }>(start: (done: (error: grpc.ServiceError | null, response?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, response) => {
      if (error) reject(errors.unavailable('primary', error.details || error.message));
      else if (response?.error && response.error.code) reject(MiniSqlError.fromProto(response.error as never));
      else resolve(response as T);
    }),
  );
}
