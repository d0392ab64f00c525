/**
 * How a region in a cluster answers statements, by its role in its group:
 * - primary: reads under a valid lease, answered once the writes they saw are replicated;
 *   writes through group commit and replication,
 *   acknowledged only while the lease is valid and the group unchanged;
 * - replica: reads only when the client asked for replica reads (marked stale);
 * - anyone: catalog statements, which the master sends to every member.
 */
import {
  checkMasterCaller,
  errors,
  groupMembers,
  nameKey,
  paramFromProto,
  statementRefusal,
  type Caller,
  type Principal,
  type ExecuteRequest__Output,
  type ExecuteResponse,
  MiniSqlError,
  type StatementKind,
  type CancelSignal,
  type AnalyzedStatement,
  type ResultSet,
  type SqlParam,
  withDeadline,
} from '@minisql/common';
import { decide, type FencedAction, type FencingView } from './fencing.js';
import { PRIMARY_VALIDITY_MS_MAX } from './lease-clock.js';
import type { GroupMembership } from './group-membership.js';
import type { LeaseClock } from './lease-clock.js';
import type { Replicator } from './replicator.js';
import type { ExecutionOutcome, SqlEngine } from './sql-engine.js';
import { REGION_DEFAULTS, statementTimeoutMs } from './region-options.js';
import type { RegionMetrics } from './region-metrics.js';
import { WritePipeline } from './write-pipeline.js';

/** How often a primary handing over reads its group from etcd, in milliseconds. */
const HANDOVER_POLL_MS = 5;
/** The longest a statement waits for this region to read its group again, in milliseconds. */
const VIEW_CATCH_UP_MS = 500;

interface TableHold {
  timer: NodeJS.Timeout;
  /** Resolves when the hold ends, after the view says where the table is. */
  released: Promise<void>;
  release: () => void;
}

export class ClusterExecutor {
  private readonly pipeline: WritePipeline;
  /** The planned switchover under way, if any. */
  /** A planned switchover under way on this primary; `ended` resolves when it ends either way. */
  private handover: { target: string; timer: NodeJS.Timeout; holdMs: number; ended: Promise<void>; end: () => void } | undefined;
  /** Tables held for the end of their move, by lower-case name (see holdTable). */
  private readonly holds = new Map<string, TableHold>();

  constructor(
    private readonly engine: SqlEngine,
    private readonly membership: GroupMembership,
    private readonly lease: LeaseClock,
    replicator: Replicator,
    /** Refuse writes while the group has no in-sync replica (strictReplication). */
    private readonly strict = false,
    /** The longest a select may run (RegionOptions.statementTimeoutMs). */
    private readonly statementTimeoutMsMax = REGION_DEFAULTS.statementTimeoutMs,
    private readonly metrics?: RegionMetrics,
  ) {
    this.pipeline = new WritePipeline({
      // The fencing rules again when a queued batch starts: writes queued before this region
      // stopped being primary (or began a handover) are not run, for on a replica they would
      // be entries its primary never logged; they are refused as on arrival (NOT_PRIMARY:
      // the client retries on the new primary).
      executeBatch: (writes) => {
        const view = this.view();
        const refused = this.writeRefusal(view);
        if (refused) return writes.map(() => refused);
        // A write queued before its table was held, or before it moved away (the queue may
        // hold thousands): after the hold's position nothing may change the table here, and
        // a table served elsewhere is not this group's to change. Refused as on arrival.
        const outcomes = writes.map((write) => (write.table === undefined ? undefined : this.tableRefusal(write.table, view)));
        if (outcomes.every((outcome) => outcome === undefined)) return this.engine.executeBatch(writes);
        const run = writes.filter((_, i) => outcomes[i] === undefined);
        const ran = this.engine.executeBatch(run);
        let next = 0;
        return outcomes.map((outcome) => outcome ?? (ran[next++] as ExecutionOutcome | MiniSqlError));
      },
      replicate: (writes) => {
        const role = this.membership.current;
        if (role.kind !== 'primary') throw this.notPrimary();
        return replicator.ship(role.group, writes);
      },
      durable: (writes) => this.engine.durable(new Set(writes.map((write) => write.table))),
      mayAcknowledge: async () => {
        await this.leaseConfirmed();
        return this.acknowledgeRefusal();
      },
      isPrimary: () => this.membership.current.kind === 'primary',
      batchStarted: (writes) => this.metrics?.batch(writes),
    });
    // The new epoch of a switchover ends the handover: this region is a replica now.
    membership.onChange((role) => {
      if (this.handover && role.kind !== 'primary') this.finishHandover(this.handover);
      // A replica may be promoted: its connections to the others are up before then.
      if (role.kind === 'replica') replicator.warm(groupMembers(role.group).filter((id) => id !== membership.regionId));
    });
  }

  /**
   * A planned switchover, on the primary (ReplicationService.Handover): stops taking
   * statements, lets the batches in flight finish, and resolves once every in-sync
   * replica holds every entry this region has. The master then makes `target` primary;
   * the new epoch ends the handover. If none comes within `holdMs`, the region takes its
   * group back by compare-and-set in etcd (the master's change, compared against the
   * group's revision, then fails) and serves again.
   */
  async handOver(groupId: string, epoch: number, target: string, holdMs: number): Promise<void> {
    const role = this.membership.current;
    if (role.kind !== 'primary' || role.group.id !== groupId) throw errors.notPrimary(this.membership.regionId, `it does not lead ${groupId}`);
    if (role.group.epoch !== epoch) throw errors.staleEpoch(groupId, role.group.epoch, epoch);
    if (!role.group.inSync.includes(target)) throw errors.invalidArgument('switchover target', `${target} is not an in-sync replica of ${groupId}`);
    if (this.handover) throw errors.invalidArgument('switchover', `${groupId} is already being handed over to ${this.handover.target}`);
    const timer = setTimeout(() => void this.endHandover(groupId, epoch), holdMs);
    timer.unref();
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.handover = { target, timer, holdMs, ended, end };
    // Batches in flight finish (their writes were taken before the handover); none starts.
    await this.pipeline.whilePaused(async () => undefined);
    if (this.pipeline.unconfirmedEntries > 0) {
      await this.endHandover(groupId, epoch);
      throw errors.notEnoughReplicas(groupId);
    }
    void this.readUntilDeposed(this.handover);
  }

  /**
   * While the master switches (right after this answer), reads the group from etcd every
   * HANDOVER_POLL_MS: the statements waiting here learn the new epoch a read after it
   * lands, where the watch took tens of milliseconds more. Ends with the handover.
   */
  private async readUntilDeposed(handover: ClusterExecutor['handover']): Promise<void> {
    while (handover !== undefined && this.handover === handover) {
      await new Promise((resolve) => setTimeout(resolve, HANDOVER_POLL_MS));
      if (this.handover === handover) await this.membership.refresh().catch(() => undefined);
    }
  }

  /**
   * A client that names a newer epoch of this region's group than the region knows has
   * a fresher route: the region reads its group again (one read shared by every such
   * statement, at most VIEW_CATCH_UP_MS waited) before the fencing rules judge it. A
   * replica just promoted serves at once instead of refusing the first clients.
   */
  private async viewCaughtUp(clientEpoch: number): Promise<void> {
    if (!this.viewBehind(clientEpoch)) return;
    this.viewRead ??= this.membership.refresh().then(
      () => undefined,
      () => undefined,
    );
    const read = this.viewRead;
    void read.then(() => {
      if (this.viewRead === read) this.viewRead = undefined;
    });
    await withDeadline(read, VIEW_CATCH_UP_MS, () => undefined);
  }

  private viewRead: Promise<void> | undefined;

  /** The handover ends: deposed by the new epoch, or, without one, the group taken back. */
  private async endHandover(groupId: string, epoch: number): Promise<void> {
    const handover = this.handover;
    if (!handover) return;
    clearTimeout(handover.timer);
    // Until etcd has said who holds the group, the handover stays on and statements are
    // refused: the master's switch may still land, and a read answered here meanwhile
    // could miss what the new primary wrote. reclaimGroup resolves only on a read of the
    // group (kept by this compare-and-set, or changed); an etcd error is tried again.
    await this.untilDone(
      () => {
        const role = this.membership.current;
        return this.handover === handover && role.kind === 'primary' && role.group.id === groupId && role.group.epoch === epoch;
      },
      () => this.membership.reclaimGroup(groupId, epoch),
      'could not take the group back after a handover; statements stay refused, trying again',
      { group: groupId },
    );
    this.finishHandover(handover);
  }

  private finishHandover(handover: NonNullable<ClusterExecutor['handover']>): void {
    clearTimeout(handover.timer);
    if (this.handover === handover) this.handover = undefined;
    handover.end();
  }

  /**
   * Statements that arrive during a handover wait for its end (at most its hold) and are
   * then judged: refused NOT_PRIMARY once the new epoch has deposed this region (the
   * client goes straight to the new primary, which serves already), served if the group
   * was taken back. Refusing them on arrival instead sent every client into its retry
   * backoff, which outlasted the switch itself. Bounded by the hold: should taking the
   * group back hang on etcd, the statement is judged (and refused) then.
   */
  private async handoverEnded(): Promise<void> {
    const handover = this.handover;
    if (handover) await withDeadline(handover.ended, handover.holdMs, () => undefined);
  }

  /**
   * The end of a table's move, on the source primary (ReplicationService.HoldTable):
   * statements on the table wait, the batches in flight finish, and the table's position
   * is returned: nothing follows it here while the hold lasts. The master then copies the
   * last entries, switches the placement and releases the hold (releaseTable). Without a
   * release within `holdMs`, the region keeps the table by rewriting its placement in etcd
   * (compare-and-set: the master's switch, compared against the old revision, then fails)
   * and serves it again.
   */
  async holdTable(table: string, holdMs: number): Promise<number> {
    const role = this.membership.current;
    if (role.kind !== 'primary') throw errors.notPrimary(this.membership.regionId, `it does not lead a group`);
    this.engine.tableFile(table); // TABLE_NOT_FOUND before anything is held
    const placement = this.membership.placements.get(nameKey(table));
    if (placement?.group !== role.group.id || placement.movingTo === undefined) {
      throw errors.invalidArgument(`hold of table \`${table}\``, `no move of it from ${role.group.id} is under way`);
    }
    if (this.holds.has(nameKey(table))) throw errors.invalidArgument(`hold of table \`${table}\``, 'it is held already');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const timer = setTimeout(() => void this.endHold(table, 'expired'), holdMs);
    timer.unref();
    const hold: TableHold = { timer, released, release };
    this.holds.set(nameKey(table), hold);
    // Writes already batched finish; those queued for the table are refused (executeBatch).
    await this.pipeline.whilePaused(async () => undefined);
    if (this.pipeline.unconfirmedEntries > 0) {
      await this.endHold(table, 'kept');
      throw errors.notEnoughReplicas(role.group.id);
    }
    // A hold that ran out while the batches finished holds nothing: its position means nothing.
    if (this.holds.get(nameKey(table)) !== hold) {
      throw errors.unavailable(this.membership.regionId, `its hold of table \`${table}\` ran out (${holdMs} ms) before the writes in flight finished`);
    }
    return this.engine.tableFile(table).position;
  }

  /**
   * Ends a hold (or, on the new group's primary, ends the wait for the watch): `moved` with
   * the placement the master switched to at etcd `revision`; not moved when the move was
   * given up.
   */
  async releaseTable(table: string, moved: { group: string; revision: number } | undefined): Promise<void> {
    if (moved) this.membership.notePlacement({ table, group: moved.group }, moved.revision);
    if (this.holds.has(nameKey(table))) await this.endHold(table, moved ? 'moved' : 'kept');
  }

  private async endHold(table: string, how: 'moved' | 'kept' | 'expired'): Promise<void> {
    const hold = this.holds.get(nameKey(table));
    if (!hold) return;
    clearTimeout(hold.timer);
    try {
      // Statements waiting go on once the view says where the table is: refused by the
      // placement rule if it moved (noted already), served if it stayed.
      if (how === 'expired') await this.takeBack(table);
      else if (how === 'kept') await this.membership.refresh().catch(() => undefined);
    } finally {
      this.holds.delete(nameKey(table));
      hold.release();
    }
  }

  /**
   * A hold ran out without word from the master: the table is served again only once the
   * placement is rewritten (so a switch the master may still send fails) or is read naming
   * another group. An etcd error ends nothing: the table stays held and the take-back is
   * tried again, with backoff, for as long as this region leads its group.
   */
  private takeBack(table: string): Promise<void> {
    return this.untilDone(
      () => this.membership.current.kind === 'primary',
      () => this.membership.reclaimTable(table),
      'could not take a held table back; it stays held, trying again',
      { table },
    );
  }

  /**
   * Runs `attempt` until it resolves, while `wanted()`: an error (etcd unreachable) is
   * logged with `failure` and tried again after a pause growing to 2 s.
   */
  private async untilDone(wanted: () => boolean, attempt: () => Promise<unknown>, failure: string, fields: Record<string, unknown>): Promise<void> {
    for (let count = 1; wanted(); count++) {
      try {
        await attempt();
        return;
      } catch (error) {
        this.membership.logger.warn(failure, { ...fields, attempt: count, error: MiniSqlError.from(error).message });
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * count)));
      }
    }
  }

  private heldRefusal(table: string): MiniSqlError {
    return errors.notPrimary(this.membership.regionId, `table \`${table}\` is held for the end of its move`);
  }

  /** Why a write to `table` may not run here now: held for its move, or placed in another group. */
  private tableRefusal(table: string, view: FencingView): MiniSqlError | undefined {
    if (this.holds.has(nameKey(table))) return this.heldRefusal(table);
    const decision = decide(view, { kind: 'write', clientEpoch: 0, tables: [table] });
    return decision.verdict === 'allow' ? undefined : decision.error;
  }

  /** Waits while any of `tables` is held for its move (at most the hold's length). */
  private async heldTables(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      const hold = this.holds.get(nameKey(table));
      if (hold) await hold.released;
    }
  }

  /** Entries whose replication failed and that the in-sync replicas may still lack. */
  get unconfirmedEntries(): number {
    return this.pipeline.unconfirmedEntries;
  }

  /** Runs `work` while no write batch is in flight (see WritePipeline.whilePaused). */
  whileWritesPaused<T>(work: () => Promise<T>): Promise<T> {
    return this.pipeline.whilePaused(work);
  }

  /**
   * Answers one request by this region's role; throws (or rejects with) a MiniSqlError to
   * refuse it. A statement that waits for nothing (the usual case: a point select, a
   * refusal) is answered in the same turn, without a promise: at one client a promise
   * chain per statement was a tenth of the region's time on it.
   */
  execute(
    request: ExecuteRequest__Output,
    micros: () => number,
    caller: Caller = 'plaintext',
    principal: Principal = { kind: 'open' },
    signal?: CancelSignal,
  ): ExecuteResponse | Promise<ExecuteResponse> {
    const metrics = this.metrics;
    if (!metrics) return this.executeShaped(request, micros, caller, principal, () => undefined, signal);
    const started = performance.now();
    let kind = 'unparsed';
    const observe = (response: ExecuteResponse | undefined): void =>
      metrics.observe(kind, (performance.now() - started) / 1000, response !== undefined && !response.error?.code);
    let response: ExecuteResponse | Promise<ExecuteResponse>;
    try {
      response = this.executeShaped(request, micros, caller, principal, (seen) => (kind = seen), signal);
    } catch (error) {
      observe(undefined);
      throw error;
    }
    if (!(response instanceof Promise)) {
      observe(response);
      return response;
    }
    return response.then(
      (answered) => (observe(answered), answered),
      (error: unknown) => {
        observe(undefined);
        throw error;
      },
    );
  }

  private executeShaped(
    request: ExecuteRequest__Output,
    micros: () => number,
    caller: Caller,
    principal: Principal,
    saw: (kind: StatementKind) => void,
    signal?: CancelSignal,
  ): ExecuteResponse | Promise<ExecuteResponse> {
    // The statement's shape (literals lifted into parameters): one analysis per shape.
    const { sql, params, analysis: statement } = this.engine.shape(request.sql, request.params.map(paramFromProto));
    saw(statement.kind);
    const refused = statementRefusal(principal, statement);
    if (refused) throw refused;
    const shaped: ShapedRequest = { request, sql, params, statement, micros, caller, signal };
    return this.waitsBeforeRunning(request, statement) ? this.runAfterWaits(shaped) : this.runShaped(shaped);
  }

  /** Whether `statement` must wait before it runs: see runAfterWaits for what it waits for. */
  private waitsBeforeRunning(request: ExecuteRequest__Output, statement: AnalyzedStatement): boolean {
    return this.leaseUnconfirmed() || this.handover !== undefined || this.viewBehind(request.epoch) || (this.holds.size > 0 && readsOrWritesRows(statement));
  }

  /** Runs `shaped` once the lease is confirmed, a handover over, the view caught up with the client's and its tables no longer held. */
  private async runAfterWaits(shaped: ShapedRequest): Promise<ExecuteResponse> {
    const { request, statement } = shaped;
    const leaseWait = this.leaseConfirmed();
    if (leaseWait) await leaseWait;
    if (this.handover) await this.handoverEnded();
    if (request.epoch > 0) await this.viewCaughtUp(request.epoch);
    if (this.holds.size > 0 && readsOrWritesRows(statement)) await this.heldTables(statement.tables);
    return this.runShaped(shaped);
  }

  private runShaped({ request, sql, params, statement, micros, caller, signal }: ShapedRequest): ExecuteResponse | Promise<ExecuteResponse> {
    if (statement.kind === 'insert' || statement.kind === 'update' || statement.kind === 'delete') {
      this.obey({ kind: 'write', clientEpoch: request.epoch, tables: statement.tables });
      return this.pipeline.submit({ sql, params, requestId: request.request_id, table: statement.table });
    }
    if (statement.kind === 'select') {
      const { stale } = this.obey({
        kind: 'read',
        clientEpoch: request.epoch,
        replicaRead: request.consistency === 'READ_CONSISTENCY_REPLICA',
        tables: statement.tables,
      });
      const selected = this.engine.select(sql, params, statementTimeoutMs(request.timeout_ms, this.statementTimeoutMsMax), signal, statement);
      if (selected instanceof Promise) return selected.then((result) => this.answerRead(result, statement.tables, stale, micros));
      return this.answerRead(selected, statement.tables, stale, micros);
    }
    // Catalog changes come from the master to every member of the group, and from no one else.
    if (changesCatalog(statement.kind)) {
      const denied = checkMasterCaller(caller, `${statement.kind.replace('_', ' ')} on a region`);
      if (denied) throw denied;
    }
    return { result: this.engine.execute(request.sql, params), server_micros: micros() };
  }

  /**
   * The answer to a select that ran: a primary answers only from writes that are
   * replicated, and only while still primary, its tables still its own (a read that ran
   * before a switch must not be answered after it). A replica's stale read is answered as
   * it is.
   */
  private answerRead(result: ResultSet, tables: readonly string[], stale: boolean, micros: () => number): ExecuteResponse | Promise<ExecuteResponse> {
    if (stale) return { result, server_micros: micros(), stale };
    const settling = this.pipeline.visibleWritesSettled();
    if (settling || this.leaseUnconfirmed())
      return (async () => {
        if (settling) await settling;
        const leaseWait = this.leaseConfirmed();
        if (leaseWait) await leaseWait;
        this.obey({ kind: 'answer-read', tables });
        return { result, server_micros: micros(), stale };
      })();
    this.obey({ kind: 'answer-read', tables });
    return { result, server_micros: micros(), stale };
  }

  /** A primary whose lease has not been confirmed lately (see leaseConfirmed). */
  private leaseUnconfirmed(): boolean {
    return this.membership.current.kind === 'primary' && !this.lease.valid();
  }

  /** The client has seen a newer epoch of the group than this region has (see viewCaughtUp). */
  private viewBehind(clientEpoch: number): boolean {
    const role = this.membership.current;
    return clientEpoch > 0 && 'group' in role && clientEpoch > role.group.epoch;
  }

  /**
   * A primary whose lease is unconfirmed for the moment waits for the next renewal (at
   * most PRIMARY_VALIDITY_MS_MAX) before the fencing rules judge it, instead of refusing
   * at once. Renewals go out every FAST_KEEPALIVE_INTERVAL_MS, so a busy event loop (a
   * burst of large writes runs hundreds of milliseconds) puts one late without anything
   * being wrong. The rules are unchanged: they still refuse unless a renewal answered
   * after the wait says the lease holds.
   */
  private leaseConfirmed(): Promise<void> | undefined {
    if (!this.leaseUnconfirmed()) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        stop();
        clearTimeout(timer);
        resolve();
      };
      // A renewal sent before the stall may be answered after it and still not suffice.
      const stop = this.lease.onRenewal(() => (this.lease.valid() || this.lease.isLost) && done());
      const timer = setTimeout(done, PRIMARY_VALIDITY_MS_MAX);
    });
  }

  /** What this region knows of itself, for the fencing rules. */
  private view(): FencingView {
    return {
      regionId: this.membership.regionId,
      role: this.membership.current,
      leaseValid: this.lease.valid(),
      unconfirmedEntries: this.pipeline.unconfirmedEntries,
      strictReplication: this.strict,
      placements: this.membership.placements,
      ...(this.handover ? { handingOverTo: this.handover.target } : {}),
    };
  }

  /** Applies the fencing rules (fencing.ts): returns when allowed, throws the refusal. */
  private obey(action: FencedAction): { stale: boolean } {
    const decision = decide(this.view(), action);
    if (decision.verdict === 'allow') return { stale: decision.stale };
    if (decision.refreshView) void this.membership.refresh().catch(() => undefined);
    throw decision.error;
  }

  private writeRefusal(view: FencingView): MiniSqlError | undefined {
    const decision = decide(view, { kind: 'write', clientEpoch: 0 });
    return decision.verdict === 'allow' ? undefined : decision.error;
  }

  private acknowledgeRefusal(): MiniSqlError | undefined {
    const decision = decide(this.view(), { kind: 'acknowledge' });
    return decision.verdict === 'allow' ? undefined : decision.error;
  }

  private notPrimary(): MiniSqlError {
    return this.acknowledgeRefusal() ?? errors.internal('not primary, yet the fencing rules allow it to acknowledge');
  }
}

/** A request with its statement shaped (literals lifted into parameters) and analysed. */
interface ShapedRequest {
  request: ExecuteRequest__Output;
  sql: string;
  params: readonly SqlParam[];
  statement: AnalyzedStatement;
  micros: () => number;
  caller: Caller;
  signal: CancelSignal | undefined;
}

type RowStatement = Extract<AnalyzedStatement, { kind: 'select' | 'insert' | 'update' | 'delete' }>;

/** Statements that read or write a table's rows: they wait while one of their tables is held for its move. */
function readsOrWritesRows(statement: AnalyzedStatement): statement is RowStatement {
  return statement.kind === 'select' || statement.kind === 'insert' || statement.kind === 'update' || statement.kind === 'delete';
}

/** Statements that change a region's tables or indexes: the master's alone to send. */
export function changesCatalog(kind: StatementKind): boolean {
  return kind === 'create_table' || kind === 'drop_table' || kind === 'create_index' || kind === 'drop_index';
}
