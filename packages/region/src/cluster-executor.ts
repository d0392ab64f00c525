/**
 * How a region in a cluster answers statements, by its role in its group:
 * - primary: reads under a valid lease, answered once the writes they saw are replicated;
 *   writes through group commit and replication,
 *   acknowledged only while the lease is valid and the group unchanged;
 * - replica: reads only when the client asked for replica reads (marked stale);
 * - anyone: catalog statements, which the master sends to every member.
 */
import { errors, fromProtoValue, type ExecuteRequest__Output, type ExecuteResponse, type MiniSqlError } from '@minisql/common';
import type { GroupMembership } from './group-membership.js';
import type { LeaseClock } from './lease-clock.js';
import type { Replicator } from './replicator.js';
import type { SqlEngine } from './sql-engine.js';
import { WritePipeline } from './write-pipeline.js';

export class ClusterExecutor {
  private readonly pipeline: WritePipeline;

  constructor(
    private readonly engine: SqlEngine,
    private readonly membership: GroupMembership,
    private readonly lease: LeaseClock,
    replicator: Replicator,
    /** Refuse writes while the group has no in-sync replica (strictReplication). */
    private readonly strict = false,
  ) {
    this.pipeline = new WritePipeline({
      executeBatch: (writes) => this.engine.executeBatch(writes),
      replicate: (writes) => {
        const role = this.membership.current;
        if (role.kind !== 'primary') throw this.notPrimary();
        return replicator.ship(role.group, writes);
      },
      mayAcknowledge: () => this.primaryRefusal(),
      isPrimary: () => this.membership.current.kind === 'primary',
    });
  }

  /** Runs `work` while no write batch is in flight (see WritePipeline.whilePaused). */
  whileWritesPaused<T>(work: () => Promise<T>): Promise<T> {
    return this.pipeline.whilePaused(work);
  }

  /** Answers one request by this region's role; throws a MiniSqlError to refuse it. */
  async execute(request: ExecuteRequest__Output, micros: () => number): Promise<ExecuteResponse> {
    const statement = this.engine.analyze(request.sql);
    const params = request.params.map(fromProtoValue);
    const role = this.membership.current;
    if (statement.kind === 'insert' || statement.kind === 'update' || statement.kind === 'delete') {
      const refusal = this.primaryRefusal() ?? this.epochRefusal(request.epoch) ?? this.strictRefusal();
      if (refusal) throw refusal;
      return await this.pipeline.submit({ sql: request.sql, params, requestId: request.request_id });
    }
    if (statement.kind === 'select') {
      const stale = request.consistency === 'READ_CONSISTENCY_REPLICA' && role.kind === 'replica';
      if (!stale) {
        const refusal = this.primaryRefusal() ?? this.epochRefusal(request.epoch);
        if (refusal) throw refusal;
      }
      const result = this.engine.execute(request.sql, params);
      if (!stale) {
        // Answer only from writes that are replicated, and only while still primary.
        await this.pipeline.visibleWritesSettled();
        const refusal = this.primaryRefusal() ?? this.unreplicatedRefusal();
        if (refusal) throw refusal;
      }
      return { result, server_micros: micros(), stale };
    }
    // Catalog statements come from the master to every member of the group.
    return { result: this.engine.execute(request.sql, params), server_micros: micros() };
  }

  /** Why this region may not serve as primary now, or undefined when it may. */
  private primaryRefusal(): MiniSqlError | undefined {
    const role = this.membership.current;
    if (role.kind !== 'primary') return this.notPrimary();
    if (!this.lease.valid()) return errors.notPrimary(this.membership.regionId, 'it cannot confirm its etcd lease, which may have expired');
    return undefined;
  }

  /** Refuses reads while writes this region holds may be missing on an in-sync replica. */
  private unreplicatedRefusal(): MiniSqlError | undefined {
    const role = this.membership.current;
    const unconfirmed = this.pipeline.unconfirmedEntries;
    if (role.kind !== 'primary' || unconfirmed === 0) return undefined;
    return errors.notPrimary(this.membership.regionId, `${unconfirmed} write(s) it holds are not yet replicated to the in-sync replicas of ${role.group.id}; it ships them again`);
  }

  private strictRefusal(): MiniSqlError | undefined {
    const role = this.membership.current;
    if (!this.strict || role.kind !== 'primary' || role.group.inSync.length > 0) return undefined;
    return errors.notEnoughReplicas(role.group.id);
  }

  /** A client that saw an older epoch has an old route; one that saw a newer one knows more than this region. */
  private epochRefusal(clientEpoch: number): MiniSqlError | undefined {
    const role = this.membership.current;
    if (clientEpoch === 0 || role.kind !== 'primary' || clientEpoch === role.group.epoch) return undefined;
    if (clientEpoch < role.group.epoch) {
      return errors.staleEpoch(role.group.id, role.group.epoch, clientEpoch);
    }
    void this.membership.refresh().catch(() => undefined);
    return this.notPrimary();
  }

  private notPrimary(): MiniSqlError {
    const role = this.membership.current;
    const what = role.kind === 'replica' ? `it is a replica of ${role.group.id}, whose primary is ${role.group.primary}` : `it is a ${role.kind} region`;
    return errors.notPrimary(this.membership.regionId, what);
  }
}
