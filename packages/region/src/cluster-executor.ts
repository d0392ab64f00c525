/**
 * How a region in a cluster answers statements, by its role in its group:
 * - primary: reads under a valid lease, answered once the writes they saw are replicated;
 *   writes through group commit and replication,
 *   acknowledged only while the lease is valid and the group unchanged;
 * - replica: reads only when the client asked for replica reads (marked stale);
 * - anyone: catalog statements, which the master sends to every member.
 */
import { checkMasterCaller, errors, paramFromProto, statementRefusal, type Caller, type Principal, type ExecuteRequest__Output, type ExecuteResponse, type MiniSqlError, type StatementKind } from '@minisql/common';
import { decide, type FencedAction, type FencingView } from './fencing.js';
import type { GroupMembership } from './group-membership.js';
import type { LeaseClock } from './lease-clock.js';
import type { Replicator } from './replicator.js';
import type { SqlEngine } from './sql-engine.js';
import { REGION_DEFAULTS, statementTimeoutMs } from './region-options.js';
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
    /** The longest a select may run (RegionOptions.statementTimeoutMs). */
    private readonly statementTimeoutMsMax = REGION_DEFAULTS.statementTimeoutMs,
  ) {
    this.pipeline = new WritePipeline({
      executeBatch: (writes) => this.engine.executeBatch(writes),
      replicate: (writes) => {
        const role = this.membership.current;
        if (role.kind !== 'primary') throw this.notPrimary();
        return replicator.ship(role.group, writes);
      },
      durable: (writes) => this.engine.durable(new Set(writes.map((write) => write.table))),
      mayAcknowledge: () => this.acknowledgeRefusal(),
      isPrimary: () => this.membership.current.kind === 'primary',
    });
  }

  /** Entries whose replication failed and that the in-sync replicas may still lack. */
  get unconfirmedEntries(): number {
    return this.pipeline.unconfirmedEntries;
  }

  /** Runs `work` while no write batch is in flight (see WritePipeline.whilePaused). */
  whileWritesPaused<T>(work: () => Promise<T>): Promise<T> {
    return this.pipeline.whilePaused(work);
  }

  /** Answers one request by this region's role; throws a MiniSqlError to refuse it. */
  async execute(request: ExecuteRequest__Output, micros: () => number, caller: Caller = 'plaintext', principal: Principal = { kind: 'open' }): Promise<ExecuteResponse> {
    // The statement's shape (literals lifted into parameters): one analysis per shape.
    const { sql, params, analysis: statement } = this.engine.shape(request.sql, request.params.map(paramFromProto));
    const refused = statementRefusal(principal, statement);
    if (refused) throw refused;
    if (statement.kind === 'insert' || statement.kind === 'update' || statement.kind === 'delete') {
      this.obey({ kind: 'write', clientEpoch: request.epoch });
      return await this.pipeline.submit({ sql, params, requestId: request.request_id });
    }
    if (statement.kind === 'select') {
      const { stale } = this.obey({ kind: 'read', clientEpoch: request.epoch, replicaRead: request.consistency === 'READ_CONSISTENCY_REPLICA' });
      const result = await this.engine.select(sql, params, statementTimeoutMs(request.timeout_ms, this.statementTimeoutMsMax));
      if (!stale) {
        // Answer only from writes that are replicated, and only while still primary.
        await this.pipeline.visibleWritesSettled();
        this.obey({ kind: 'answer-read' });
      }
      return { result, server_micros: micros(), stale };
    }
    // Catalog changes come from the master to every member of the group, and from no one else.
    if (changesCatalog(statement.kind)) {
      const denied = checkMasterCaller(caller, `${statement.kind.replace('_', ' ')} on a region`);
      if (denied) throw denied;
    }
    return { result: this.engine.execute(request.sql, params), server_micros: micros() };
  }

  /** What this region knows of itself, for the fencing rules. */
  private view(): FencingView {
    return {
      regionId: this.membership.regionId,
      role: this.membership.current,
      leaseValid: this.lease.valid(),
      unconfirmedEntries: this.pipeline.unconfirmedEntries,
      strictReplication: this.strict,
    };
  }

  /** Applies the fencing rules (fencing.ts): returns when allowed, throws the refusal. */
  private obey(action: FencedAction): { stale: boolean } {
    const decision = decide(this.view(), action);
    if (decision.verdict === 'allow') return { stale: decision.stale };
    if (decision.refreshView) void this.membership.refresh().catch(() => undefined);
    throw decision.error;
  }

  private acknowledgeRefusal(): MiniSqlError | undefined {
    const decision = decide(this.view(), { kind: 'acknowledge' });
    return decision.verdict === 'allow' ? undefined : decision.error;
  }

  private notPrimary(): MiniSqlError {
    return this.acknowledgeRefusal() ?? errors.internal('not primary, yet the fencing rules allow it to acknowledge');
  }
}

/** Statements that change a region's tables or indexes: the master's alone to send. */
export function changesCatalog(kind: StatementKind): boolean {
  return kind === 'create_table' || kind === 'drop_table' || kind === 'create_index' || kind === 'drop_index';
}
