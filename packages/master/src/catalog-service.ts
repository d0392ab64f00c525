/**
 * The catalog statements, answered by the master: it keeps every table's definition,
 * group and indexes in etcd. A schema change is recorded in etcd first (state
 * "creating" / "dropping"), applied on the group's regions, then completed; a master
 * that crashes in between leaves a record that the next one finishes (resumeUnfinished).
 */
import {
  analyzeStatement,
  doneResult,
  textRows,
  describeRows,
  DESCRIBE_COLUMNS,
  errors,
  groupMembers,
  MiniSqlError,
  nameKey,
  SHOW_INDEXES_COLUMNS,
  SHOW_TABLES_COLUMNS,
  showIndexesRows,
  type AnalyzedStatement,
  type Logger,
  type ResultSet,
  type TableRecord,
  statementRefusal,
  USER_STATEMENT_KINDS,
  type Principal,
  type UserAdmin,
  type UserStatement,
  type GroupRecord,
  type HandoverRequest,
  type MoveUnderWay,
} from '@minisql/common';
import { HANDOVER_HOLD_MS, planSwitchover } from './switchover.js';
import { chooseGroupForTable } from './cluster-planner.js';
import type { ClusterView } from './cluster-view.js';
import type { MetadataStore } from './metadata-store.js';
import type { RegionPool } from '@minisql/wire';
import type { ReplicationStubFactory } from './region-calls.js';
import { TableMover } from './table-move.js';
import { planRebalance } from './rebalance.js';

/** Plans run at most after a group forms (each of at most REBALANCE_MOVES_MAX moves). */
const REBALANCE_ROUNDS_MAX = 8;

type Of<K extends AnalyzedStatement['kind']> = Extract<AnalyzedStatement, { kind: K }>;

/** Time a region may take for one schema change, in milliseconds. */
export const REGION_CALL_TIMEOUT_MS = 10_000;

export class CatalogService {
  constructor(
    private readonly store: MetadataStore,
    private readonly regions: RegionPool,
    private readonly replicationFactor: number,
    private readonly logger: Logger,
    /**
     * Called after every schema change, so routes reflect it before the client asks;
     * `switched` is a group record just written (a switchover), which routes name at once.
     */
    private readonly onChanged: (switched?: GroupRecord) => Promise<void>,
    private readonly users: UserAdmin,
    /** Asks a primary to hand its group over (ReplicationService.Handover). */
    private readonly handover: (primaryAddress: string, request: HandoverRequest) => Promise<void>,
    /** Opens a ReplicationService stub to a region (table moves). */
    openReplication: ReplicationStubFactory,
  ) {
    this.mover = new TableMover(store, openReplication, logger.child('move'), (address, sql) => this.run(address, sql));
  }

  private readonly mover: TableMover;

  /** Table moves under way on this master (status page, `status;`). */
  movesUnderWay(): MoveUnderWay[] {
    return this.mover.movesUnderWay();
  }

  /** Runs one catalog statement on one region. */
  private run(address: string, sql: string): Promise<unknown> {
    return this.regions.get(address).run(sql, { timeoutMs: REGION_CALL_TIMEOUT_MS });
  }

  /** Runs one catalog or user statement for `principal`, refused with PERMISSION_DENIED when it is not theirs to run. */
  async execute(sql: string, principal: Principal = { kind: 'open' }): Promise<ResultSet> {
    const statement = analyzeStatement(sql);
    const refused = statementRefusal(principal, statement);
    if (refused) throw refused;
    if (USER_STATEMENT_KINDS.has(statement.kind)) {
      // SHOW GRANTS alone means the caller's own.
      const asked =
        statement.kind === 'show_grants' && statement.user === null && principal.kind === 'user' ? { ...statement, user: principal.record.name } : statement;
      return this.users.execute(asked as UserStatement);
    }
    const result = await this.executeAnalyzed(statement, sql);
    if (statement.kind !== 'show_tables' && statement.kind !== 'show_indexes' && statement.kind !== 'describe') await this.onChanged();
    return result;
  }

  private async executeAnalyzed(statement: AnalyzedStatement, sql: string): Promise<ResultSet> {
    switch (statement.kind) {
      case 'create_table':
        return this.createTable(statement, sql);
      case 'drop_table':
        return this.dropTable(statement);
      case 'create_index':
        return this.createIndex(statement, sql);
      case 'drop_index':
        return this.dropIndex(statement);
      case 'switchover':
        return this.switchover(statement);
      case 'move_table':
        return this.moveTable(statement);
      case 'rebalance':
        return this.rebalance();
      case 'show_tables': {
        const { view } = await this.store.load();
        const names = readyTables(view).map((t) => [t.name]);
        return textRows('show_tables', SHOW_TABLES_COLUMNS, names);
      }
      case 'show_indexes': {
        const { view } = await this.store.load();
        const tables = statement.table === null ? readyTables(view) : [requireTable(view, statement.table)];
        return textRows('show_indexes', SHOW_INDEXES_COLUMNS, showIndexesRows(tables));
      }
      case 'describe': {
        const { view } = await this.store.load();
        return textRows('describe', DESCRIBE_COLUMNS, describeRows(requireTable(view, statement.table)));
      }
      default:
        throw errors.invalidArgument('statement for the master', `${statement.kind} statements go to the region holding the table`);
    }
  }

  /** A planned switchover (switchover.ts): the primary holds still, then the target takes the group. */
  private async switchover(statement: Of<'switchover'>): Promise<ResultSet> {
    const { view, groupRevisions } = await this.store.load();
    const plan = planSwitchover(view, statement.group, statement.target);
    const previous = view.groups.get(plan.group.id) as GroupRecord;
    const started = performance.now();
    await this.handover(view.regions.get(plan.from)?.grpcAddress as string, {
      group_id: previous.id,
      epoch: previous.epoch,
      target: plan.to,
      hold_ms: HANDOVER_HOLD_MS,
    });
    const handedOver = performance.now();
    if (!(await this.store.updateGroup(plan.group, groupRevisions.get(plan.group.id) as string))) {
      throw errors.invalidArgument(`switchover of ${plan.group.id}`, `the group changed while ${plan.from} held still; it keeps its primary (run it again)`);
    }
    const switched = performance.now();
    // Routes name the new primary before the old one sends its clients here for them.
    await this.onChanged(plan.group);
    const done = performance.now();
    const heldMs = Math.round(done - started);
    // Where the hold's time went, for anyone tuning it.
    const steps = { handoverMs: Math.round(handedOver - started), switchMs: Math.round(switched - handedOver), routesMs: Math.round(done - switched) };
    this.logger.info('switchover', { group: plan.group.id, epoch: plan.group.epoch, primary: plan.to, previousPrimary: plan.from, heldMs, ...steps });
    await this.store.recordEvent('switchover', {
      group: plan.group.id,
      epoch: plan.group.epoch,
      primary: plan.to,
      previousPrimary: plan.from,
      heldMs,
      atMs: Date.now(),
    });
    return doneResult(
      'switchover',
      `group ${plan.group.id}: ${plan.to} is primary at epoch ${plan.group.epoch} (was ${plan.from}); statements held ${heldMs} ms (handover ${steps.handoverMs} ms, switch in etcd ${steps.switchMs} ms, routes ${steps.routesMs} ms)`,
    );
  }

  /** A table move (table-move.ts); answers with how long statements on the table were held. */
  private async moveTable(statement: Of<'move_table'>): Promise<ResultSet> {
    const outcome = await this.mover.move(statement.table, statement.group, () => this.onChanged());
    await this.store.recordEvent('table_moved', { ...outcome, atMs: Date.now() });
    return doneResult(
      'move_table',
      `table \`${outcome.table}\` moved from ${outcome.from} to ${outcome.to} at position ${outcome.position}: ${outcome.entries} entries after the copy, ${outcome.entriesHeld} of them while statements were held ${outcome.heldMs} ms`,
    );
  }

  /**
   * Evens out the groups (rebalance.ts): at most REBALANCE_MOVES_MAX moves, one after
   * another, each a table move; the answer lists them. Sizes come from the primaries.
   */
  private rebalance(): Promise<ResultSet> {
    // Waiting behind a background one (up to dozens of moves) would outlast the client's
    // call, and its retry would queue a second rebalance.
    if (this.backgroundRebalance) {
      throw errors.invalidArgument('rebalance', `one is under way (${this.backgroundRebalance}): \`status;\` shows its moves; run it again once it ends`);
    }
    return this.oneRebalanceAtATime(async () => {
      const { moved, failed } = await this.rebalanceOnce('rebalance');
      if (failed) {
        // The moves done stay done; the answer says which, and why the rest stopped.
        throw new MiniSqlError(
          failed.code,
          `rebalance stopped after ${moved.length} move(s)${moved.length > 0 ? ` (${moved.join('; ')})` : ''}: ${failed.message}`,
          {
            retryable: failed.retryable,
          },
        );
      }
      if (moved.length === 0) return doneResult('rebalance', 'the groups are even: no table to move');
      return doneResult('rebalance', `moved ${moved.length} table(s): ${moved.join('; ')}`);
    });
  }

  /**
   * After a group forms: moves tables to it, in the background, plan after plan until the
   * groups are even (at most REBALANCE_ROUNDS_MAX plans of REBALANCE_MOVES_MAX moves, so a
   * plan that cannot converge stops). Errors are logged; the next group formed, or
   * `rebalance;`, tries again.
   */
  rebalanceAfterGroupFormed(groups: readonly string[], stillLeading: () => boolean): void {
    const cause = `group ${groups.join(', ')} formed`;
    void this.oneRebalanceAtATime(async () => {
      this.backgroundRebalance = `after ${cause}`;
      try {
        await this.rebalanceRounds(cause, stillLeading);
      } finally {
        this.backgroundRebalance = undefined;
      }
    }).catch((error: unknown) => this.logger.warn('rebalance after a group formed failed', { cause, error: (error as Error).message }));
  }

  /** What the background rebalance under way is for, if one is. */
  private backgroundRebalance: string | undefined;

  /** Plan after plan, while this master leads, until one is empty or a move fails. */
  private async rebalanceRounds(cause: string, stillLeading: () => boolean): Promise<void> {
    for (let round = 0; round < REBALANCE_ROUNDS_MAX && stillLeading(); round++) {
      const { moved, failed } = await this.rebalanceOnce(cause);
      if (moved.length > 0) this.logger.info('rebalanced after a group formed', { cause, moved });
      if (failed) {
        this.logger.warn('rebalance after a group formed stopped; `rebalance;` continues it', { cause, error: failed.message });
        return;
      }
      if (moved.length === 0) return;
    }
  }

  /** Rebalances run one after another (two at once would plan from the same view and overshoot). */
  private oneRebalanceAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.rebalancing.then(work, work);
    this.rebalancing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private rebalancing: Promise<void> = Promise.resolve();

  /** Plans from the current view and runs the moves, stopping at the first that fails. */
  private async rebalanceOnce(cause: string): Promise<{ moved: string[]; failed?: MiniSqlError }> {
    const { view } = await this.store.load();
    const plan = planRebalance(view, await this.tableSizes(view));
    const moved: string[] = [];
    for (const move of plan) {
      try {
        const outcome = await this.mover.move(move.table, move.to, () => this.onChanged());
        await this.store.recordEvent('table_moved', { ...outcome, rebalance: cause, atMs: Date.now() });
        moved.push(`\`${outcome.table}\` ${outcome.from} -> ${outcome.to} (held ${outcome.heldMs} ms)`);
      } catch (error) {
        return { moved, failed: MiniSqlError.from(error) };
      }
    }
    return { moved };
  }

  /** Each table's file size on its group's primary, by lower-case name; tables whose primary does not answer are left out. */
  private async tableSizes(view: ClusterView): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    await Promise.all(
      [...view.groups.values()].map(async (group) => {
        const address = view.regions.get(group.primary)?.grpcAddress;
        if (!address) return;
        const tables = await this.regions
          .get(address)
          .tablePositions(REGION_CALL_TIMEOUT_MS)
          .catch(() => new Map<string, { bytes: number }>());
        for (const [name, { bytes }] of tables) sizes.set(nameKey(name), bytes);
      }),
    );
    return sizes;
  }

  /** Finishes what a previous master left half done. */
  async resumeUnfinished(): Promise<void> {
    const { view, tableRevisions } = await this.store.load();
    for (const [key, record] of view.tables) {
      if (record.movingTo !== undefined) {
        // A move a previous master did not switch: given up (its source serves on; the
        // source's hold, if any, ran out and kept the table).
        this.logger.warn('giving up a table move a previous master left unfinished', { table: record.name, to: record.movingTo });
        const target = view.groups.get(record.movingTo);
        const members = (target ? groupMembers(target) : []).map((id) => view.regions.get(id)?.grpcAddress).filter((a): a is string => a !== undefined);
        await this.mover.forgetMove(record, tableRevisions.get(key) as string, members).catch(() => undefined);
        continue;
      }
      if (record.state === 'ready') continue;
      this.logger.warn('resuming an unfinished schema change', { table: record.name, state: record.state });
      const revision = tableRevisions.get(key) as string;
      try {
        if (record.state === 'creating') await this.applyCreate(view, record, revision);
        else await this.applyDrop(view, record, revision);
      } catch (error) {
        this.logger.error('could not resume a schema change; will retry at the next election', { table: record.name, error: (error as Error).message });
      }
    }
  }

  private async createTable(statement: Of<'create_table'>, sql: string): Promise<ResultSet> {
    const { view } = await this.store.load();
    const existing = view.tables.get(nameKey(statement.table));
    if (existing) {
      if (statement.ifNotExists && existing.state === 'ready') return doneResult('create_table', `table \`${existing.name}\` already exists`);
      throw errors.tableExists(statement.table);
    }
    const choice = chooseGroupForTable(view, this.replicationFactor);
    if ('none' in choice) throw errors.noRoute(statement.table, choice.none);
    const record: TableRecord = {
      name: statement.table,
      definition: statement.definition,
      createSql: sql,
      group: choice.group.id,
      state: 'creating',
      indexes: [],
    };
    const revision = await this.store.putTable(record, '0');
    if (revision === undefined) throw errors.tableExists(statement.table);
    await this.applyCreate(view, record, revision);
    await this.store.recordEvent('table_created', { table: record.name, group: record.group });
    return doneResult('create_table', `table \`${record.name}\` created on group ${record.group}`);
  }

  /** Creates the table on every live member; on failure undoes it and forgets the record. */
  private async applyCreate(view: ClusterView, record: TableRecord, revision: string): Promise<void> {
    const members = this.liveMembers(view, record);
    const created: string[] = [];
    try {
      for (const address of members) {
        await this.run(address, record.createSql).catch(allow('TABLE_EXISTS'));
        created.push(address);
      }
    } catch (error) {
      for (const address of created) await this.run(address, `drop table if exists \`${record.name}\``).catch(() => undefined);
      await this.store.deleteTable(record.name, revision);
      throw error;
    }
    const ready = await this.store.putTable({ ...record, state: 'ready' }, revision);
    if (ready === undefined) throw errors.internal(`the record of table \`${record.name}\` changed while it was being created`);
  }

  private async dropTable(statement: Of<'drop_table'>): Promise<ResultSet> {
    const { view, tableRevisions } = await this.store.load();
    const record = view.tables.get(nameKey(statement.table));
    if (!record || record.state !== 'ready') {
      if (statement.ifExists) return doneResult('drop_table', `table \`${statement.table}\` does not exist`);
      throw errors.tableNotFound(statement.table);
    }
    requireSettled(record);
    const revision = await this.store.putTable({ ...record, state: 'dropping' }, tableRevisions.get(nameKey(record.name)) as string);
    if (revision === undefined) throw errors.tableNotFound(statement.table);
    await this.applyDrop(view, record, revision);
    await this.store.recordEvent('table_dropped', { table: record.name, group: record.group });
    return doneResult('drop_table', `table \`${record.name}\` dropped`);
  }

  private async applyDrop(view: ClusterView, record: TableRecord, revision: string): Promise<void> {
    for (const address of this.liveMembers(view, record)) {
      await this.run(address, `drop table if exists \`${record.name}\``);
    }
    await this.store.deleteTable(record.name, revision);
  }

  private async createIndex(statement: Of<'create_index'>, sql: string): Promise<ResultSet> {
    const { view, tableRevisions } = await this.store.load();
    const record = requireSettled(requireTable(view, statement.table));
    for (const table of view.tables.values()) {
      if (table.indexes.some((index) => nameKey(index.name) === nameKey(statement.index))) {
        if (statement.ifNotExists) return doneResult('create_index', `index \`${statement.index}\` already exists`);
        throw errors.indexExists(statement.index);
      }
    }
    const columns = statement.columns.map((name) => {
      const column = record.definition.columns.find((c) => nameKey(c.name) === nameKey(name));
      if (!column) throw errors.columnNotFound(name, record.name);
      return column.name;
    });
    const members = this.liveMembers(view, record);
    const applied: string[] = [];
    try {
      for (const address of members) {
        await this.run(address, sql).catch(allow('INDEX_EXISTS'));
        applied.push(address);
      }
    } catch (error) {
      for (const address of applied) await this.run(address, `drop index if exists \`${statement.index}\``).catch(() => undefined);
      throw error;
    }
    const indexes = [...record.indexes, { name: statement.index, columns, unique: statement.unique }];
    const revision = await this.store.putTable({ ...record, indexes }, tableRevisions.get(nameKey(record.name)) as string);
    if (revision === undefined) throw errors.internal(`table \`${record.name}\` changed while its index was being created; try again`);
    return doneResult('create_index', `index \`${statement.index}\` created on \`${record.name}\``);
  }

  private async dropIndex(statement: Of<'drop_index'>): Promise<ResultSet> {
    const { view, tableRevisions } = await this.store.load();
    const record = [...view.tables.values()].find(
      (table) =>
        table.state === 'ready' &&
        table.indexes.some((index) => nameKey(index.name) === nameKey(statement.index)) &&
        (statement.table === null || nameKey(statement.table) === nameKey(table.name)),
    );
    if (!record) {
      if (statement.ifExists) return doneResult('drop_index', `index \`${statement.index}\` does not exist`);
      throw errors.indexNotFound(statement.index);
    }
    requireSettled(record);
    for (const address of this.liveMembers(view, record)) {
      await this.run(address, `drop index if exists \`${statement.index}\``);
    }
    const indexes = record.indexes.filter((index) => nameKey(index.name) !== nameKey(statement.index));
    await this.store.putTable({ ...record, indexes }, tableRevisions.get(nameKey(record.name)) as string);
    return doneResult('drop_index', `index \`${statement.index}\` dropped`);
  }

  /** Addresses of the table's group members that are running; the primary must be. */
  private liveMembers(view: ClusterView, record: TableRecord): string[] {
    const group = view.groups.get(record.group);
    if (!group) throw errors.noRoute(record.name, `its group ${record.group} does not exist`);
    const primary = view.regions.get(group.primary);
    if (!primary) throw errors.unavailable(group.primary, `the primary of group ${group.id} is not running`);
    return groupMembers(group)
      .map((id) => view.regions.get(id)?.grpcAddress)
      .filter((address): address is string => address !== undefined);
  }
}

function readyTables(view: ClusterView): TableRecord[] {
  return [...view.tables.values()].filter((t) => t.state === 'ready').sort((a, b) => a.name.localeCompare(b.name));
}

function requireTable(view: ClusterView, name: string): TableRecord {
  const record = view.tables.get(nameKey(name));
  if (!record || record.state !== 'ready') throw errors.tableNotFound(name);
  return record;
}

/** Schema changes wait for a move to end: the copy being sent would not have them. */
function requireSettled(record: TableRecord): TableRecord {
  if (record.movingTo !== undefined)
    throw errors.invalidArgument(`table \`${record.name}\``, `it is being moved to ${record.movingTo}; change it once the move ends`);
  return record;
}

/** A catch handler that accepts one error code as success (the change is already there). */
function allow(code: string): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof MiniSqlError && error.code === code)) throw error;
  };
}
