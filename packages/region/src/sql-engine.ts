/**
 * Executes one analysed statement against the region's tables. Every statement either
 * applies completely or not at all: writes run in one SQLite transaction, and values
 * are checked against the column types before anything is written.
 */
import {
  AnalysisCache,
  LruCache,
  describeRows,
  DESCRIBE_COLUMNS,
  SHOW_INDEXES_COLUMNS,
  SHOW_TABLES_COLUMNS,
  showIndexesRows,
  checkValue,
  describeValue,
  errors,
  MiniSqlError,
  nameKey,
  quoteSqliteName,
  type AnalyzedStatement,
  type ColumnDefinition,
  type LiteralOrParameter,
  type ResultSet,
  type SqlParam,
  type ShapedStatement,
  type TableDefinition,
  decodeParams,
  encodeParams,
  type CancelSignal,
} from '@minisql/common';
import type { QueryConnection } from './query-connection.js';
import { isBoundedPlan, manyRowSteps } from './query-plan.js';
import { selectsAtMostOneRow } from './single-row-select.js';
import type { QueryWorkers, ResultColumnSource } from './query-workers.js';
import { errorFromSqlite } from './sqlite-errors.js';
import { CHECKSUM_STEP_MS, STOP_HERE, type SqliteStatement, type TableFile, type WriteRecord } from './table-file.js';
import type { TableCatalog } from './table-catalog.js';
import { rowsResult, textColumns, writeResult, type ResultColumnType } from './result-builder.js';
import { RowChecksum } from './row-checksum.js';
import { collectRows, RESULT_BYTES_MAX_DEFAULT } from './result-limits.js';

export interface EngineOptions {
  /** Rows returned by one select at most; more are cut and the result marked truncated. */
  resultRowsMax: number;
  /** Bytes one result may hold (see result-limits.ts); more is LIMIT_EXCEEDED. Default 64 MiB. */
  resultBytesMax?: number;
  /** Analysed statements kept, by statement text. */
  analysisCacheSize: number;
  /**
   * True in a cluster: writes are replicated by re-executing them on replicas, so a
   * write that reads other tables is refused (its result could differ there), and each
   * logged write carries a checksum of the rows it changed, which replicas compare.
   */
  replicated: boolean;
  /**
   * Where selects that may run long go (query-plan.ts); without it every select runs on
   * this thread. With it, `pageCacheKiB` is the workers' page cache per attached file.
   */
  queryWorkers?: QueryWorkers;
  pageCacheKiB?: number;
  /** SQLite heap a select in a query worker may use (RegionOptions.queryMemoryBytesMax). */
  queryMemoryBytesMax?: number;
}

/** SQLite heap of a select in a query worker, without a setting. */
const QUERY_MEMORY_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;

/** Plans kept (bounded or not), by statement shape. */
const PLANS_KEPT = 1_024;

/** A write the engine logged, to be shipped to replicas. */
export interface LoggedWrite {
  table: string;
  record: WriteRecord;
}

export interface ExecutionOutcome {
  result: ResultSet;
  /** Present for a write that changed the log (not for a retried request). */
  write?: LoggedWrite;
  /**
   * For a retried request answered from the log: the entry that made the answer. It is
   * shipped again with the batch, so the answer is acknowledged only once every in-sync
   * replica holds that very entry (or has been taken out of the set): the first attempt's
   * replication may have failed, or a new primary may hold entries a replica lacks.
   * Absent when the log no longer holds the entry (50,000 writes of that table ago).
   */
  confirm?: LoggedWrite;
}

/** One write as a client sent it. */
export interface WriteRequest {
  sql: string;
  params: readonly SqlParam[];
  requestId: string;
}

/** A row write, analysed and checked, with the table it changes. */
interface PreparedWrite extends WriteRequest {
  statement: Of<'insert' | 'update' | 'delete'>;
  table: TableFile;
}

type Of<K extends AnalyzedStatement['kind']> = Extract<AnalyzedStatement, { kind: K }>;

export class SqlEngine {
  private readonly analyses: AnalysisCache;
  /** Result column types per prepared select, computed once per statement. */
  private readonly columnTypes = new WeakMap<SqliteStatement, ResultColumnType[]>();
  /** Whether each prepared select returns at most one row (single-row-select.ts). */
  private readonly singleRowReads = new WeakMap<SqliteStatement, boolean>();

  /** Whether each select shape is bounded (runs here) or not (runs in a query worker). */
  private readonly boundedPlans = new LruCache<string, boolean>(PLANS_KEPT);
  /** Whether each write shape passes over its table at most once (query-plan.ts). */
  private readonly boundedWrites = new LruCache<string, boolean>(PLANS_KEPT);

  constructor(
    private readonly catalog: TableCatalog,
    private readonly queries: QueryConnection,
    private readonly options: EngineOptions,
  ) {
    this.analyses = new AnalysisCache(options.analysisCacheSize);
    catalog.onFileChange((table) => {
      // Plans and the workers' open files belong to the files that were there.
      this.boundedPlans.clear();
      this.boundedWrites.clear();
      this.queries.detach(table);
      options.queryWorkers?.detach(table);
    });
  }

  /**
   * Runs a select, given as its shape (shape()), and its analysis when the caller has it:
   * on this thread when its plan is bounded (a lookup by key or index), answered at once
   * (no promise), else in a query worker, stopped with TIMEOUT past `timeoutMs` or when
   * `signal` aborts (the client cancelled). Anything but a select runs here, as
   * execute(). Throws a MiniSqlError.
   */
  select(sql: string, params: readonly SqlParam[], timeoutMs: number, signal?: CancelSignal, analysis?: AnalyzedStatement): ResultSet | Promise<ResultSet> {
    const workers = this.options.queryWorkers;
    const statement = analysis ?? this.analyze(sql);
    // A select of no table can still run for ever (a recursive CTE): it is judged too.
    if (workers === undefined || statement.kind !== 'select') return this.execute(sql, params);
    if (params.length !== statement.parameterCount) throw errors.parameterCount(statement.parameterCount, params.length);
    // The point select's path: analysed and checked once, run at once (what execute()
    // would do again for a shape, which shapes to itself).
    if (this.isBounded(statement, params)) return this.executeStatement(statement, params);
    return this.selectInWorker(statement, params, timeoutMs, workers, signal);
  }

  private async selectInWorker(
    statement: Of<'select'>,
    params: readonly SqlParam[],
    timeoutMs: number,
    workers: QueryWorkers,
    signal?: CancelSignal,
  ): Promise<ResultSet> {
    const tables = statement.tables.map((name) => this.catalog.require(name));
    const answer = await workers.run(
      {
        sql: statement.sql,
        params,
        tables: tables.map((table) => ({ name: table.name, path: table.path })),
        definition: tables[0]?.definition,
        rowsMax: this.options.resultRowsMax,
        bytesMax: this.options.resultBytesMax ?? RESULT_BYTES_MAX_DEFAULT,
        pageCacheKiB: this.options.pageCacheKiB ?? 2_048,
        memoryBytesMax: this.options.queryMemoryBytesMax ?? QUERY_MEMORY_BYTES_MAX_DEFAULT,
      },
      timeoutMs,
      signal,
    );
    return rowsResult('select', this.columnTypesOf(answer.columns), answer.rows, answer.truncated);
  }

  /** From the plan SQLite makes for the select, once per shape; a select that does not prepare is left to run here and report. */
  private isBounded(statement: Of<'select'>, params: readonly SqlParam[]): boolean {
    let bounded = this.boundedPlans.get(statement.sql);
    if (bounded === undefined) {
      try {
        const tables = statement.tables.map((name) => this.catalog.require(name));
        const explain = `EXPLAIN QUERY PLAN ${statement.sql}`;
        const prepared = tables.length === 1 ? (tables[0] as TableFile).prepare(explain) : this.queries.prepare(explain, tables);
        const plan = prepared.all(...params) as Array<{ detail: string }>;
        bounded = isBoundedPlan(plan.map((step) => step.detail));
      } catch {
        return true;
      }
      this.boundedPlans.set(statement.sql, bounded);
    }
    return bounded;
  }

  /** Analyses (or finds the cached analysis of) `sql`. Throws a MiniSqlError. */
  analyze(sql: string): AnalyzedStatement {
    return this.analyses.analyze(sql);
  }

  /** The name of `table` as it was created; TABLE_NOT_FOUND when there is none. */
  tableName(table: string): string {
    return this.catalog.require(table).name;
  }

  /** Every table's last committed log position (the master's choice of a new primary) and file size (rebalance). */
  logPositions(): Array<{ table: string; position: number; bytes: number }> {
    return this.catalog.list().map((file) => ({ table: file.name, position: file.position, bytes: file.fileBytes }));
  }

  /** The file of a table (a backup, a move); TABLE_NOT_FOUND naming it when there is none. */
  tableFile(name: string): TableFile {
    return this.catalog.require(name);
  }

  /** The checksum of every row of `table` at its last committed log position (verify, TableFile.checksum): in steps of `stepMs`, or one pass when undefined. */
  async tableChecksum(
    table: string,
    stepMs: number | undefined = CHECKSUM_STEP_MS,
  ): Promise<{ table: string; position: number; rows: number; checksum: string }> {
    const file = this.catalog.require(table);
    return { table: file.name, ...(await file.checksum(stepMs)) };
  }

  /**
   * Resolves once every commit made so far on these tables is on disk (see wal-sync.ts):
   * what a write waits for before it is acknowledged, and a replica before it answers.
   * Rejects with a MiniSqlError when a table file cannot be synced.
   */
  async durable(tables: Iterable<string>): Promise<void> {
    const files = new Set<TableFile>();
    for (const name of tables) {
      const file = this.catalog.get(name);
      if (file) files.add(file);
    }
    try {
      await Promise.all([...files].map((file) => file.durable()));
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code === 'ENOSPC') throw errors.diskFull([...files].map((file) => file.name).join(', '));
      throw errors.internal(`a table file could not be synced to disk: ${(thrown as Error).message}`);
    }
  }

  /** Executes one statement. Throws a MiniSqlError; on error nothing has changed. */
  execute(sql: string, params: readonly SqlParam[] = []): ResultSet {
    return this.executeLogged(sql, params, '').result;
  }

  /**
   * The statement as it runs and is logged: its shape (literals lifted into parameters,
   * statement-shape.ts), so every text of one shape shares one analysis and one prepared
   * statement; the text itself when it has no shape, or when the shape does not analyse
   * (the text's own analysis then reports the error, at its own positions).
   */
  shape(sql: string, params: readonly SqlParam[]): ShapedStatement {
    return this.analyses.shaped(sql, params);
  }

  /** `request` with its statement and parameters replaced by its shape's (see shape()). */
  private shaped<T extends { sql: string; params: readonly SqlParam[] }>(request: T): T {
    const { sql, params } = this.analyses.shaped(request.sql, request.params);
    return sql === request.sql ? request : { ...request, sql, params };
  }

  /**
   * Executes one statement; a row write is logged in its table's file with `requestId`
   * in the same transaction. A request id the table has already logged is answered
   * from the log without executing again: a retry is applied at most once.
   */
  executeLogged(sql: string, params: readonly SqlParam[], requestId: string): ExecutionOutcome {
    const request = this.shaped({ sql, params, requestId });
    const write = this.loggedWrite(request);
    if (!('table' in write)) return { result: this.executeStatement(write.statement, request.params) };
    return write.table.transaction(() => this.runLogged(write));
  }

  /**
   * Executes and logs several writes (group commit): the writes to one table run in one
   * SQLite transaction (TableFile.eachInTransaction), so one commit (one WAL append) covers them all,
   * while a write that fails is undone alone and fails alone. Outcomes
   * are in the order of `writes`; writes to one table run in that order. If a commit
   * fails, every write of that table fails with it and nothing of them is kept.
   */
  executeBatch(writes: readonly WriteRequest[]): Array<ExecutionOutcome | MiniSqlError> {
    const outcomes = new Array<ExecutionOutcome | MiniSqlError>(writes.length);
    const byTable = new Map<TableFile, Array<{ index: number; write: PreparedWrite }>>();
    writes.forEach((unshaped, index) => {
      try {
        const request = this.shaped(unshaped);
        const write = this.loggedWrite(request);
        if (!('table' in write)) {
          outcomes[index] = { result: this.executeStatement(write.statement, request.params) };
          return;
        }
        const list = byTable.get(write.table);
        if (list === undefined) byTable.set(write.table, [{ index, write }]);
        else list.push({ index, write });
      } catch (thrown) {
        outcomes[index] = MiniSqlError.from(thrown);
      }
    });
    for (const [table, list] of byTable) {
      try {
        const done = table.eachInTransaction<{ write: PreparedWrite }, ExecutionOutcome | MiniSqlError>(
          list,
          ({ write }) => this.runLogged(write),
          (thrown) => MiniSqlError.from(thrown),
        );
        list.forEach(({ index }, i) => (outcomes[index] = done[i] as ExecutionOutcome | MiniSqlError));
      } catch (thrown) {
        const error = MiniSqlError.from(thrown);
        for (const { index } of list) outcomes[index] = error;
      }
    }
    return outcomes;
  }

  /**
   * Applies the entries a primary logged and shipped in one message, in order: the
   * entries of one table in one SQLite transaction (one commit; TableFile.eachInTransaction).
   * Entries at or below the table's position are already here and skipped; an entry
   * past the next position means entries are missing. At the first entry that fails,
   * the entries before it are committed and its error is thrown.
   */
  applyBatch(entries: ReadonlyArray<{ table: string; record: WriteRecord }>): void {
    let failure: unknown;
    let start = 0;
    while (start < entries.length && failure === undefined) {
      const table = this.catalog.require((entries[start] as { table: string }).table);
      let end = start;
      while (end < entries.length && this.catalog.get((entries[end] as { table: string }).table) === table) end += 1;
      // At the first entry that fails, the entries before it are kept and it is not.
      table.eachInTransaction(
        entries.slice(start, end),
        ({ record }) => this.applyRecord(table, record),
        (thrown) => {
          failure = thrown;
          return STOP_HERE;
        },
      );
      start = end;
    }
    if (failure !== undefined) throw failure as Error; // as SQLite threw it
  }

  /** Checks one write and finds its table: writes that are not logged (catalog statements, standalone multi-table writes) have none. */
  private loggedWrite(request: WriteRequest): PreparedWrite | { statement: AnalyzedStatement } {
    const statement = this.analyze(request.sql);
    if (request.params.length !== statement.parameterCount) throw errors.parameterCount(statement.parameterCount, request.params.length);
    if (statement.kind !== 'insert' && statement.kind !== 'update' && statement.kind !== 'delete') return { statement };
    const table = this.catalog.require(statement.table);
    if (statement.tables.length > 1) {
      if (this.options.replicated) throw errors.unsupported(`in a replicated cluster, a ${statement.kind} that reads other tables`);
      return { statement };
    }
    this.checkWriteBounded(statement, table, request.params);
    // Not a spread with the new fields after it (wire's DESIGN.md, "A request's objects die
    // young"), nor before it: a pipeline's write carries its table's name as `table`,
    // which the table file must replace.
    return Object.assign({}, request, { statement, table });
  }

  /**
   * A write runs on this thread (it is ordered and logged here), where nothing can stop
   * it: one whose plan passes over its table more than once (a scan inside a scan) would
   * hold the thread, and the lease, for hours on a large table. Refused with
   * LIMIT_EXCEEDED before it runs; judged once per shape. Literal inserts have no plan to
   * fear; a write that does not prepare reports its own error when it runs.
   */
  private checkWriteBounded(statement: Of<'insert' | 'update' | 'delete'>, table: TableFile, params: readonly SqlParam[]): void {
    if (statement.kind === 'insert' && statement.literal) return;
    let bounded = this.boundedWrites.get(statement.sql);
    if (bounded === undefined) {
      try {
        const steps = table.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...params) as Array<{ detail: string }>;
        bounded = manyRowSteps(steps.map((step) => step.detail)) <= 1;
      } catch {
        return;
      }
      this.boundedWrites.set(statement.sql, bounded);
    }
    if (!bounded) throw errors.limitExceeded(`passes over table \`${table.name}\` in one write (a scan inside a scan runs for ever on a large table)`, 1);
  }

  /** Runs one row write and logs it; must run inside a transaction of its table. */
  private runLogged({ sql, params, requestId, statement, table }: PreparedWrite): ExecutionOutcome {
    const done = requestId === '' ? undefined : table.findRequest(requestId);
    if (done) {
      const entry = table.logEntryAt(done.position);
      return { result: writeResult(statement.kind, done.rowsAffected), ...(entry ? { confirm: { table: table.name, record: entry } } : {}) };
    }
    const checksum = this.options.replicated ? new RowChecksum() : undefined;
    table.environment.beginWrite();
    let result: ResultSet;
    try {
      result = this.executeStatement(statement, params, checksum);
    } catch (error) {
      table.environment.end();
      throw error;
    }
    const record = table.recordWrite({
      requestId,
      sql,
      params: encodeParams(params),
      rowsAffected: Number(result.rows_affected ?? 0),
      ...table.environment.end(),
      checksum: checksum?.digest() ?? '',
    });
    return { result, write: { table: table.name, record } };
  }

  /**
   * Applies one logged entry (see applyBatch); must run inside a transaction of its
   * table. The write runs with the primary's time and seed, and must change as many
   * rows, with the same checksum, as it did there; an entry at a position this file
   * already holds must be the one it holds. Otherwise this copy has diverged from the
   * primary's: REPLICA_DIVERGED, and nothing of the entry is kept.
   */
  private applyRecord(table: TableFile, record: WriteRecord): void {
    if (record.position <= table.position) {
      checkHeldEntry(table, record);
      return;
    }
    if (record.position !== table.position + 1) {
      throw errors.internal(`log of table \`${table.name}\` is at ${table.position}; entry ${record.position} leaves a gap`);
    }
    const statement = this.analyze(record.sql);
    const checksum = record.checksum === '' ? undefined : new RowChecksum();
    table.environment.beginReplay(record);
    let result: ResultSet;
    try {
      result = this.executeStatement(statement, decodeParams(record.params), checksum);
    } finally {
      table.environment.end();
    }
    const rowsAffected = Number(result.rows_affected ?? 0);
    const digest = checksum?.digest() ?? '';
    if (rowsAffected !== record.rowsAffected || digest !== record.checksum) {
      throw errors.replicaDiverged(
        `position ${record.position} of table \`${table.name}\``,
        `the primary's write changed ${record.rowsAffected} row(s) with checksum ${record.checksum || 'none'}, here it changed ${rowsAffected} with ${digest || 'none'}`,
      );
    }
    table.recordWrite(record, record.position);
  }

  private executeStatement(statement: AnalyzedStatement, params: readonly SqlParam[], checksum?: RowChecksum): ResultSet {
    switch (statement.kind) {
      case 'create_table':
        return this.createTable(statement);
      case 'drop_table':
        return this.dropTable(statement);
      case 'create_index':
        return this.createIndex(statement);
      case 'drop_index':
        return this.dropIndex(statement);
      case 'show_tables':
        return rowsResult(
          'show_tables',
          textColumns(...SHOW_TABLES_COLUMNS),
          this.catalog.list().map((t) => [t.name]),
        );
      case 'show_indexes':
        return this.showIndexes(statement);
      case 'describe':
        return this.describe(statement);
      case 'insert':
        return statement.literal ? this.insertLiterals(statement, params, checksum) : this.run(statement, params, checksum);
      case 'update':
        this.checkAssignments(statement, params);
        return this.run(statement, params, checksum);
      case 'select':
      case 'delete':
        return this.run(statement, params, checksum);
      default:
        // Users live in the cluster's catalog: the master runs these.
        throw errors.unsupported(`${statement.kind.replace('_', ' ').toUpperCase()} on a region (users are managed through the master)`);
    }
  }

  private createTable(statement: Of<'create_table'>): ResultSet {
    if (this.catalog.get(statement.table)) {
      if (statement.ifNotExists) return writeResult('create_table', 0, `table \`${statement.table}\` already exists`);
      throw errors.tableExists(statement.table);
    }
    this.catalog.create(statement.definition);
    return writeResult('create_table', 0, `table \`${statement.table}\` created`);
  }

  private dropTable(statement: Of<'drop_table'>): ResultSet {
    const table = this.catalog.get(statement.table);
    if (!table) {
      if (statement.ifExists) return writeResult('drop_table', 0, `table \`${statement.table}\` does not exist`);
      throw errors.tableNotFound(statement.table);
    }
    this.catalog.drop(table.name);
    return writeResult('drop_table', 0, `table \`${table.name}\` dropped`);
  }

  private createIndex(statement: Of<'create_index'>): ResultSet {
    const table = this.catalog.require(statement.table);
    const existing = this.catalog.indexOwner(statement.index);
    if (existing) {
      if (statement.ifNotExists) return writeResult('create_index', 0, `index \`${statement.index}\` already exists`);
      throw errors.indexExists(statement.index);
    }
    const columns = statement.columns.map((name) => requireColumn(table.definition, name).name);
    const sql = `CREATE ${statement.unique ? 'UNIQUE ' : ''}INDEX ${quoteSqliteName(statement.index)} ON ${quoteSqliteName(table.name)} (${columns.map(quoteSqliteName).join(', ')})`;
    try {
      table.transaction(() => table.exec(sql));
    } catch (error) {
      throw errorFromSqlite(error, { table: table.name, definition: table.definition });
    }
    table.durableNow();
    this.catalog.addIndex(statement.index, table);
    return writeResult('create_index', 0, `index \`${statement.index}\` created on \`${table.name}\``);
  }

  private dropIndex(statement: Of<'drop_index'>): ResultSet {
    const table = this.catalog.indexOwner(statement.index);
    if (!table || (statement.table !== null && nameKey(statement.table) !== nameKey(table.name))) {
      if (statement.ifExists) return writeResult('drop_index', 0, `index \`${statement.index}\` does not exist`);
      throw errors.indexNotFound(statement.index);
    }
    table.transaction(() => table.exec(`DROP INDEX ${quoteSqliteName(statement.index)}`));
    table.durableNow();
    this.catalog.removeIndex(statement.index);
    return writeResult('drop_index', 0, `index \`${statement.index}\` dropped`);
  }

  private showIndexes(statement: Of<'show_indexes'>): ResultSet {
    const tables = statement.table === null ? this.catalog.list() : [this.catalog.require(statement.table)];
    const rows = showIndexesRows(tables.map((table) => ({ definition: table.definition, indexes: table.explicitIndexes() })));
    return rowsResult('show_indexes', textColumns(...SHOW_INDEXES_COLUMNS), rows);
  }

  private describe(statement: Of<'describe'>): ResultSet {
    const table = this.catalog.require(statement.table);
    const rows = describeRows({ definition: table.definition, indexes: table.explicitIndexes() });
    return rowsResult('describe', textColumns(...DESCRIBE_COLUMNS), rows);
  }

  /**
   * Inserts literal rows: every value is checked first, then all rows go through one
   * prepared statement. A duplicate key names its value. Runs only inside the write's
   * own transaction or savepoint (runLogged, applyRecord), which undoes the rows before
   * a failing one; a savepoint of its own would cost two statements more per insert.
   * With `checksum`, the inserted rows (defaults filled in) are added to it.
   */
  private insertLiterals(statement: Of<'insert'>, params: readonly SqlParam[], checksum?: RowChecksum): ResultSet {
    const literal = statement.literal as NonNullable<Of<'insert'>['literal']>;
    const table = this.catalog.require(statement.table);
    const { definition } = table;
    const columns = literal.columns === null ? definition.columns : literal.columns.map((name) => requireColumn(definition, name));
    const named = new Set<string>();
    for (const column of columns) {
      if (named.has(nameKey(column.name)))
        throw errors.invalidArgument(`column list of insert into \`${table.name}\``, `column \`${column.name}\` appears twice`);
      named.add(nameKey(column.name));
    }
    for (const column of definition.columns) {
      if (!named.has(nameKey(column.name)) && column.notNull && column.defaultValue === undefined) throw errors.notNull(column.name);
    }
    const rows = literal.rows.map((row) => {
      if (row.length !== columns.length) throw errors.columnCount(table.name, columns.length, row.length);
      return row.map((value, i) => checkedValue(resolve(value, params), columns[i] as ColumnDefinition));
    });
    const sql = `INSERT INTO ${quoteSqliteName(table.name)} (${columns.map((c) => quoteSqliteName(c.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    if (!table.inTransaction) throw errors.internal(`insert into \`${table.name}\` outside a transaction`);
    let current: SqlParam[] = [];
    try {
      const insert = checksum === undefined ? table.prepare(sql) : table.prepare(`${sql} RETURNING *`).raw(true);
      for (const row of rows) {
        current = row;
        if (checksum === undefined) insert.run(row);
        else for (const inserted of insert.all(row) as unknown[][]) checksum.add(inserted);
      }
    } catch (error) {
      throw errorFromSqlite(error, {
        table: table.name,
        definition,
        columnValue: (name) => {
          const index = columns.findIndex((c) => nameKey(c.name) === nameKey(name));
          return index < 0 ? undefined : describeValue(current[index] ?? null);
        },
      });
    }
    return writeResult('insert', rows.length);
  }

  /** Checks the literal values of `set column = value` before the update runs. */
  private checkAssignments(statement: Of<'update'>, params: readonly SqlParam[]): void {
    const { definition } = this.catalog.require(statement.table);
    for (const assignment of statement.assignments) {
      checkedValue(resolve(assignment.value, params), requireColumn(definition, assignment.column));
    }
  }

  /**
   * Runs any other statement as SQLite text: on the table's own file, or across files.
   * A write with `checksum` (one table, in a cluster) runs with `RETURNING *`, and the
   * rows it changed go into the checksum.
   */
  private run(statement: Of<'select' | 'insert' | 'update' | 'delete'>, params: readonly SqlParam[], checksum?: RowChecksum): ResultSet {
    const tables = statement.tables.map((name) => this.catalog.require(name));
    const target = statement.kind === 'select' ? tables[0] : this.catalog.require(statement.table);
    const context = { table: target?.name ?? '', definition: target?.definition };
    const own = tables.length === 1 ? (tables[0] as TableFile) : undefined;
    if (checksum !== undefined && statement.kind !== 'select' && own !== undefined) return runReturning(own, statement, params, checksum, context);
    own?.environment.beginRead();
    let prepared: SqliteStatement;
    try {
      prepared = own !== undefined ? own.prepare(statement.sql) : this.queries.prepare(statement.sql, tables);
    } catch (error) {
      throw errorFromSqlite(error, context);
    }
    try {
      if (prepared.reader) return this.read(statement.kind, prepared, params, own !== undefined && this.isSingleRow(prepared, statement.sql, own));
      if (statement.kind === 'select') throw errors.unsupported('a select that writes');
      const info = prepared.run(...params);
      return writeResult(statement.kind, info.changes);
    } catch (error) {
      throw errorFromSqlite(error, context);
    }
  }

  /** `singleRow`: the select returns at most one row (single-row-select.ts), so one call reads it. */
  private read(kind: string, prepared: SqliteStatement, params: readonly SqlParam[], singleRow: boolean): ResultSet {
    const columns = this.resultColumns(prepared);
    prepared.raw(true);
    const rowsRead = singleRow ? (prepared.all(...params) as unknown[][]) : (prepared.iterate(...params) as IterableIterator<unknown[]>);
    const { rows, truncated } = collectRows(rowsRead, this.options.resultRowsMax, this.options.resultBytesMax ?? RESULT_BYTES_MAX_DEFAULT);
    return rowsResult(kind, columns, rows, truncated);
  }

  /** For a prepared select (read() is only reached with one). */
  private isSingleRow(prepared: SqliteStatement, sql: string, table: TableFile): boolean {
    let single = this.singleRowReads.get(prepared);
    if (single === undefined) {
      single = selectsAtMostOneRow(sql, table.definition);
      this.singleRowReads.set(prepared, single);
    }
    return single;
  }

  private resultColumns(prepared: SqliteStatement): ResultColumnType[] {
    let columns = this.columnTypes.get(prepared);
    if (columns === undefined) {
      columns = this.columnTypesOf(prepared.columns());
      this.columnTypes.set(prepared, columns);
    }
    return columns;
  }

  /** The declared minisql type of each result column that comes straight from a table column. */
  private columnTypesOf(columns: readonly ResultColumnSource[]): ResultColumnType[] {
    return columns.map((column) => {
      const definition = column.table === null || column.column === null ? undefined : this.catalog.get(column.table)?.definition;
      const declared = definition?.columns.find((c) => nameKey(c.name) === nameKey(column.column as string));
      return { name: column.name, type: declared?.type.declared ?? '', float: declared?.type.base === 'float' };
    });
  }
}

/** A write run with `RETURNING *`: the rows it changed go into `checksum`, their count is its result. */
function runReturning(
  table: TableFile,
  statement: Of<'insert' | 'update' | 'delete'>,
  params: readonly SqlParam[],
  checksum: RowChecksum,
  context: { table: string; definition: TableDefinition | undefined },
): ResultSet {
  try {
    const prepared = table.prepare(`${statement.sql} RETURNING *`).raw(true);
    for (const row of prepared.iterate(...params) as IterableIterator<unknown[]>) checksum.add(row);
    return writeResult(statement.kind, checksum.count);
  } catch (error) {
    throw errorFromSqlite(error, context);
  }
}

/** An entry at a position the file already holds must be the entry it holds there. */
function checkHeldEntry(table: TableFile, record: WriteRecord): void {
  const held = table.logEntryAt(record.position);
  // Trimmed from the log: older than any entry a primary still resends, nothing to compare.
  if (held === undefined) return;
  const same =
    held.requestId === record.requestId &&
    held.sql === record.sql &&
    held.params === record.params &&
    (held.checksum === '' || record.checksum === '' || held.checksum === record.checksum);
  if (!same) {
    throw errors.replicaDiverged(
      `position ${record.position} of table \`${table.name}\``,
      `this member holds request ${held.requestId || '(none)'} there (\`${held.sql}\`), the primary sent request ${record.requestId || '(none)'} (\`${record.sql}\`)`,
    );
  }
}

function resolve(value: LiteralOrParameter, params: readonly SqlParam[]): SqlParam {
  return 'literal' in value ? value.literal : (params[value.parameter] ?? null);
}

function requireColumn(definition: TableDefinition, name: string): ColumnDefinition {
  const column = definition.columns.find((c) => nameKey(c.name) === nameKey(name));
  if (!column) throw errors.columnNotFound(name, definition.name);
  return column;
}

function checkedValue(value: SqlParam, column: ColumnDefinition): SqlParam {
  if (value === null) {
    if (column.notNull) throw errors.notNull(column.name);
    return null;
  }
  const checked = checkValue(value, column.type, column.name);
  if (checked instanceof MiniSqlError) throw checked;
  return checked;
}
