/**
 * Ships logged writes from the primary to every in-sync replica and waits for them all.
 * A replica that does not apply them in time is taken out of the in-sync set (in etcd)
 * before the writes are acknowledged: an acknowledged write is always on every replica
 * that could be promoted.
 */
import * as grpc from '@grpc/grpc-js';
import { errors, loadProtos, MiniSqlError, toProtoValue, decodeParams, type GroupRecord, type LogEntry, type Logger, type ReplicationServiceClient } from '@minisql/common';
import type { GroupMembership } from './group-membership.js';
import type { LoggedWrite } from './sql-engine.js';

/** Time a replica has to apply one batch, in milliseconds. */
export const REPLICATION_TIMEOUT_MS = 1_000;
/** Entries per message when a joining replica receives the tail, and the time it has for each. */
export const JOIN_CHUNK_ENTRIES = 1_000;
export const JOIN_CHUNK_TIMEOUT_MS = 30_000;

export class Replicator {
  /** One connection per replica address. */
  private readonly stubs = new Map<string, ReplicationServiceClient>();

  constructor(
    private readonly membership: GroupMembership,
    private readonly logger: Logger,
  ) {}

  /** Resolves once every in-sync replica has the writes (or was removed); throws NOT_PRIMARY if deposed. */
  async replicate(group: GroupRecord, writes: readonly LoggedWrite[]): Promise<void> {
    if (writes.length === 0 || group.inSync.length === 0) return;
    const entries = writes.map(toLogEntry);
    const outcomes = await Promise.all(group.inSync.map((replica) => this.send(replica, group, entries)));
    const deposed = outcomes.find((outcome) => outcome instanceof MiniSqlError && outcome.code === 'STALE_EPOCH');
    if (deposed) throw errors.notPrimary(this.membership.regionId, `a replica of ${group.id} knows a newer epoch: ${deposed.message}`);
    const failed = group.inSync.filter((_, i) => outcomes[i] !== undefined);
    if (failed.length === 0) return;
    this.logger.warn('replicas did not apply a batch', { group: group.id, failed, reasons: outcomes.filter(Boolean).map((e) => e?.message) });
    if (!(await this.membership.removeFromInSync(group.id, group.epoch, failed))) {
      throw errors.notPrimary(this.membership.regionId, `${failed.join(', ')} missed writes and group ${group.id} changed before they could be taken out of its in-sync set`);
    }
  }

  /** Sends the log tail to a joining replica, in chunks; throws its refusal. */
  async sendTo(replica: string, group: GroupRecord, writes: readonly LoggedWrite[]): Promise<void> {
    for (let start = 0; start < writes.length; start += JOIN_CHUNK_ENTRIES) {
      const chunk = writes.slice(start, start + JOIN_CHUNK_ENTRIES).map(toLogEntry);
      const failure = await this.send(replica, group, chunk, JOIN_CHUNK_TIMEOUT_MS);
      if (failure) throw failure;
    }
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  /** Undefined on success, else the reason. */
  private async send(replica: string, group: GroupRecord, entries: LogEntry[], timeoutMs = REPLICATION_TIMEOUT_MS): Promise<MiniSqlError | undefined> {
    const address = this.membership.addressOf(replica);
    if (address === undefined) return errors.unavailable(replica, 'it is not registered');
    let stub = this.stubs.get(address);
    if (!stub) {
      stub = new (loadProtos().replication.minisql.v1.ReplicationService)(address, grpc.credentials.createInsecure());
      this.stubs.set(address, stub);
    }
    return new Promise((resolve) => {
      stub.Apply(
        { group_id: group.id, epoch: group.epoch, primary_id: this.membership.regionId, entries },
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error) resolve(errors.unavailable(address, error.details || error.message));
          else if (response?.error && response.error.code !== '') resolve(MiniSqlError.fromProto(response.error));
          else resolve(undefined);
        },
      );
    });
  }
}

function toLogEntry({ table, record }: LoggedWrite): LogEntry {
  return {
    table,
    position: record.position,
    request_id: record.requestId,
    sql: record.sql,
    params: decodeParams(record.params).map((value) => toProtoValue(value)),
    rows_affected: record.rowsAffected,
  };
}
