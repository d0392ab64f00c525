/**
 * One table, one SQLite file. The file holds the table, its indexes and its minisql
 * definition (in minisql_meta), so a copied file is a complete table.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { errors, LruCache, nameKey, type TableDefinition } from '@minisql/common';
import { fsyncFile, fsyncParentDirectory } from './durable-files.js';
import { WalSync } from './wal-sync.js';
import { RowChecksum } from './row-checksum.js';
import { createTableSql } from './sqlite-ddl.js';
import { StatementEnvironment, type WriteInputs } from './statement-environment.js';

export const TABLE_FILE_SUFFIX = '.sqlite';
/** Files being created carry this suffix until complete; a crash leaves them to be removed. */
export const TABLE_FILE_PARTIAL_SUFFIX = '.sqlite.partial';
/** What eachInTransaction's `failed` returns to end the run at a failing item. */
export const STOP_HERE = Symbol('stop here');
const META_TABLE = 'minisql_meta';
const DEFINITION_KEY = 'definition';
const POSITION_KEY = 'position';
const UPDATE_POSITION_SQL = `UPDATE ${META_TABLE} SET value = ? WHERE key = '${POSITION_KEY}'`;
/** The replication log and the request ids of applied writes, kept in the table's own file. */
const LOG_TABLE = 'minisql_log';
const REQUESTS_TABLE = 'minisql_requests';
/** Pages copied per step of a snapshot; between steps the region serves other work. */
const BACKUP_PAGES_PER_STEP = 1_024;
/** Log entries kept per table; older ones are trimmed (a replica further behind copies the file). */
export const LOG_ENTRIES_KEPT = 50_000;
const REPLICATION_SCHEMA = `
  CREATE TABLE IF NOT EXISTS ${LOG_TABLE} (position INTEGER PRIMARY KEY, request_id TEXT NOT NULL, sql TEXT NOT NULL, params TEXT NOT NULL, rows_affected INTEGER NOT NULL,
    now_ms INTEGER NOT NULL DEFAULT 0, seed TEXT NOT NULL DEFAULT '', checksum TEXT NOT NULL DEFAULT '');
  CREATE TABLE IF NOT EXISTS ${REQUESTS_TABLE} (request_id TEXT PRIMARY KEY, position INTEGER NOT NULL, rows_affected INTEGER NOT NULL) WITHOUT ROWID;
  INSERT OR IGNORE INTO ${META_TABLE} (key, value) VALUES ('${POSITION_KEY}', '0');`;

/** Columns a log written before the entries carried their inputs and checksum lacks. */
const LOG_COLUMNS_ADDED: ReadonlyArray<[string, string]> = [
  ['now_ms', 'INTEGER NOT NULL DEFAULT 0'],
  ['seed', "TEXT NOT NULL DEFAULT ''"],
  ['checksum', "TEXT NOT NULL DEFAULT ''"],
];
const LOG_COLUMNS = 'position, request_id, sql, params, rows_affected, now_ms, seed, checksum';

/**
 * A write as it is logged: enough for a replica to apply it again and to check that it
 * did the same thing.
 */
export interface WriteRecord extends WriteInputs {
  position: number;
  requestId: string;
  sql: string;
  /** JSON of the parameter values. */
  params: string;
  rowsAffected: number;
  /** RowChecksum of the rows the write changed; '' when not computed (a standalone region). */
  checksum: string;
}

interface LogRow {
  position: number;
  request_id: string;
  sql: string;
  params: string;
  rows_affected: number;
  now_ms: number;
  seed: string;
  checksum: string;
}

function recordFromRow(row: LogRow): WriteRecord {
  return {
    position: row.position,
    requestId: row.request_id,
    sql: row.sql,
    params: row.params,
    rowsAffected: row.rows_affected,
    nowMs: row.now_ms,
    seed: row.seed,
    checksum: row.checksum,
  };
}

export interface TableFileOptions {
  /** Prepared statements kept per table. */
  statementCacheSize: number;
  /**
   * FULL: a write is on disk before it is acknowledged, so it survives a power loss
   * (the WAL is fsynced off the event loop after each commit, see wal-sync.ts, and
   * callers wait for durable()); NORMAL: synced only at checkpoints, so a committed write
   * survives a crash of the process but the last ones may be lost with the power.
   * The connection itself always runs SQLite's `synchronous = NORMAL`.
   */
  synchronous: 'NORMAL' | 'FULL';
  /** SQLite page cache of the file's connection, in KiB. */
  pageCacheKiB: number;
  /** Writes the log keeps (default LOG_ENTRIES_KEPT); a hold (a copy in flight) keeps more. */
  logEntriesKept?: number;
}

export interface IndexDescription {
  name: string;
  columns: string[];
  unique: boolean;
}

export type SqliteStatement = Database.Statement<unknown[], unknown>;

/** Longest the checksum of verify holds the event loop at a time, in milliseconds (TableFile.checksum). */
export const CHECKSUM_STEP_MS = 20;
/** SQLite's three names of a table's rowid; a column of the same name hides it under that name. */
const ROWID_NAMES = ['rowid', '_rowid_', 'oid'];

export class TableFile {
  /** Prepared statements of this file's connection, by SQL text. */
  private readonly statements: LruCache<string, SqliteStatement>;
  /** Position of the last committed logged write; mirrors minisql_meta, valid once opened. */
  private logPosition = 0;
  /**
   * Position of the last write logged in the running transaction, taken over when the
   * outermost transaction commits; undefined outside transactions.
   */
  private pendingPosition: number | undefined;
  /**
   * Runs a function in a transaction (BEGIN/COMMIT outermost, a savepoint when nested).
   * Made once: better-sqlite3 builds a new wrapper on every db.transaction() call, which
   * cost about a tenth of a logged write.
   */
  private readonly runInTransaction: (work: () => unknown) => unknown;
  /** Positions after which copies in flight need the log kept (holdLogAfter). */
  private readonly logHolds = new Set<{ position: number }>();
  /** The time and random seed of the statement running on this file's connection. */
  readonly environment = new StatementEnvironment();
  /** Set when commits must reach the disk before they are acknowledged (synchronous FULL). */
  private readonly walSync: WalSync | undefined;
  /** Writes the log keeps past the holds of copies in flight. */
  private readonly logEntriesKept: number;

  private constructor(
    readonly path: string,
    readonly definition: TableDefinition,
    private readonly db: Database.Database,
    options: TableFileOptions,
  ) {
    this.logEntriesKept = options.logEntriesKept ?? LOG_ENTRIES_KEPT;
    this.statements = new LruCache(options.statementCacheSize);
    this.runInTransaction = db.transaction((work: () => unknown) => work());
    this.environment.install(db);
    this.walSync = options.synchronous === 'FULL' ? new WalSync(`${path}-wal`) : undefined;
  }

  /**
   * Resolves once every commit made on this file so far is on disk (at once when the
   * file is not synced per write); rejects when the fsync fails.
   */
  durable(): Promise<void> {
    return this.walSync?.sync() ?? Promise.resolve();
  }

  /** durable() on this thread, for a schema change that must be on disk when it returns. */
  durableNow(): void {
    this.walSync?.syncNow();
  }

  get name(): string {
    return this.definition.name;
  }

  static fileName(table: string): string {
    return `${nameKey(table)}${TABLE_FILE_SUFFIX}`;
  }

  /**
   * Creates the file completely under a temporary name, then renames it into place, so
   * a crash never leaves a half-made table behind.
   */
  static create(path: string, definition: TableDefinition, options: TableFileOptions): TableFile {
    const partial = path.slice(0, -TABLE_FILE_SUFFIX.length) + TABLE_FILE_PARTIAL_SUFFIX;
    removeDatabaseFiles(partial);
    const db = new Database(partial);
    try {
      db.pragma('journal_mode = DELETE');
      db.transaction(() => {
        db.exec(`CREATE TABLE ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
        db.prepare(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?)`).run(DEFINITION_KEY, JSON.stringify(definition));
        db.exec(REPLICATION_SCHEMA);
        db.exec(createTableSql(definition));
      })();
    } finally {
      db.close();
    }
    // The new file and its name on disk before anyone is told the table exists.
    fsyncFile(partial);
    renameSync(partial, path);
    fsyncParentDirectory(path);
    return TableFile.open(path, options);
  }

  static open(path: string, options: TableFileOptions): TableFile {
    const db = new Database(path, { fileMustExist: true });
    try {
      db.pragma('journal_mode = WAL');
      // Durability comes from WalSync after the commit, not from an fsync inside it.
      db.pragma('synchronous = NORMAL');
      db.pragma(`cache_size = ${-Math.max(1, Math.floor(options.pageCacheKiB))}`);
      const row = db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = ?`).get(DEFINITION_KEY) as { value: string } | undefined;
      if (!row) throw new Error(`${path} has no minisql table definition`);
      // Files from before replication get their log tables here, and older logs their new columns.
      db.exec(REPLICATION_SCHEMA);
      const present = new Set((db.prepare(`SELECT name FROM pragma_table_info('${LOG_TABLE}')`).all() as Array<{ name: string }>).map((c) => c.name));
      for (const [column, type] of LOG_COLUMNS_ADDED) {
        if (!present.has(column)) db.exec(`ALTER TABLE ${LOG_TABLE} ADD COLUMN ${column} ${type}`);
      }
      const position = Number((db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = ?`).get(POSITION_KEY) as { value: string }).value);
      const table = new TableFile(path, JSON.parse(row.value) as TableDefinition, db, options);
      table.logPosition = position;
      return table;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** A prepared statement for `sql` on this file, reused while it stays in the cache. */
  prepare(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `work` in one SQLite transaction: all of it is applied, or none. Nested in
   * another, it runs in a savepoint: if it throws, only its own changes (and the log
   * positions it took) are undone, and the outer transaction goes on. The log position
   * is written to minisql_meta once, at the end of the outermost transaction.
   */
  transaction<T>(work: () => T): T {
    if (this.db.inTransaction) {
      const before = this.pendingPosition;
      try {
        return this.runInTransaction(work) as T;
      } catch (error) {
        this.pendingPosition = before;
        throw error;
      }
    }
    try {
      const result = this.runInTransaction(() => {
        const value = work();
        if (this.pendingPosition !== undefined) this.prepare(UPDATE_POSITION_SQL).run(String(this.pendingPosition));
        return value;
      }) as T;
      if (this.pendingPosition !== undefined) this.logPosition = this.pendingPosition;
      return result;
    } catch (error) {
      // The COMMIT itself found no room (a statement inside maps its own errors).
      if ((error as { code?: string }).code === 'SQLITE_FULL') throw errors.diskFull(this.name);
      throw error;
    } finally {
      this.pendingPosition = undefined;
    }
  }

  /**
   * Runs `work` for each item in one transaction (group commit), each item failing on its
   * own. First all together with no savepoint: a SAVEPOINT and a RELEASE per item were
   * about a fifth of a logged insert's cost (measured in process), and items rarely fail.
   * If one throws, that transaction is rolled back whole and the items run again, each in
   * a savepoint, so a failing one is undone alone; `failed` says what stands for it, or
   * STOP_HERE to end there, the items before it kept. If SQLite rolled the whole
   * transaction back by itself (a full disk, an I/O error), nothing is kept and the error
   * is thrown.
   */
  eachInTransaction<T, R>(items: readonly T[], work: (item: T) => R, failed: (thrown: unknown) => R | typeof STOP_HERE): R[] {
    try {
      return this.transaction(() => items.map(work));
    } catch (thrown) {
      // One item alone: its own transaction was its savepoint.
      if (items.length === 1) {
        const result = failed(thrown);
        return result === STOP_HERE ? [] : [result];
      }
    }
    return this.transaction(() => {
      const results: R[] = [];
      for (const item of items) {
        try {
          results.push(this.transaction(() => work(item)));
        } catch (thrown) {
          if (!this.db.inTransaction) throw thrown;
          const result = failed(thrown);
          if (result === STOP_HERE) break;
          results.push(result);
        }
      }
      return results;
    });
  }

  /** True while a transaction of this file runs. */
  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** The file's size in bytes; 0 when it cannot be read (dropped meanwhile). */
  get fileBytes(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /**
   * Position of the last write in this table's log (0 for none); inside a transaction,
   * including the writes it logged so far.
   */
  get position(): number {
    return this.pendingPosition ?? this.logPosition;
  }

  /** The write a request id already made, if any. */
  findRequest(requestId: string): { position: number; rowsAffected: number } | undefined {
    const row = this.prepare(`SELECT position, rows_affected FROM ${REQUESTS_TABLE} WHERE request_id = ?`).get(requestId) as
      { position: number; rows_affected: number } | undefined;
    return row === undefined ? undefined : { position: row.position, rowsAffected: row.rows_affected };
  }

  /**
   * Logs a write at the next position. Must run inside the transaction that made the
   * write, so the change, its log entry and its request id commit together.
   */
  recordWrite(record: Omit<WriteRecord, 'position'>, position = this.position + 1): WriteRecord {
    if (!this.db.inTransaction) throw new Error('recordWrite outside a transaction');
    if (position !== this.position + 1) throw new Error(`log position ${position} does not follow ${this.position} in ${this.name}`);
    const entry = { position, ...record }; // the new field first: wire's DESIGN.md, "A request's objects die young"
    this.prepare(`INSERT INTO ${LOG_TABLE} (${LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
      position,
      entry.requestId,
      entry.sql,
      entry.params,
      entry.rowsAffected,
      entry.nowMs,
      entry.seed,
      entry.checksum,
    );
    if (entry.requestId !== '')
      this.prepare(`INSERT INTO ${REQUESTS_TABLE} (request_id, position, rows_affected) VALUES (?, ?, ?)`).run(entry.requestId, position, entry.rowsAffected);
    if (position % 1_000 === 0)
      this.prepare(`DELETE FROM ${LOG_TABLE} WHERE position <= ?`).run(Math.min(position - this.logEntriesKept, this.oldestHold() - 1));
    // minisql_meta and the cached position follow when the outermost transaction ends: see transaction().
    this.pendingPosition = position;
    return entry;
  }

  /**
   * Copies the file to `path` with SQLite's online backup, a few pages at a time, so the
   * region keeps serving (and renewing its lease) during a large copy. Writes made
   * meanwhile go through this same connection, and SQLite carries them into the copy;
   * the position is read in the step that completes it, synchronously, so the copy
   * holds exactly the writes up to that position.
   */
  async snapshotTo(path: string): Promise<number> {
    let position = -1;
    await this.db.backup(path, {
      progress: ({ remainingPages }) => {
        if (remainingPages === 0) position = this.logPosition;
        return BACKUP_PAGES_PER_STEP;
      },
    });
    if (position < 0) position = this.logPosition; // a copy done in one step
    return position;
  }

  /**
   * Keeps every entry after `position` in the log until the returned release is called,
   * however many writes come meanwhile: a replica copying this table from a snapshot at
   * `position` needs them, and without the hold a copy under heavy writes (more than
   * LOG_ENTRIES_KEPT during the download) could never be completed.
   */
  holdLogAfter(position: number): () => void {
    const hold = { position };
    this.logHolds.add(hold);
    return () => void this.logHolds.delete(hold);
  }

  /** The lowest position a hold keeps after (Infinity without holds). */
  private oldestHold(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const hold of this.logHolds) oldest = Math.min(oldest, hold.position + 1);
    return oldest;
  }

  /**
   * Logged writes after `position`, in order, at most `limit` of them; undefined when the
   * log no longer reaches back that far.
   */
  logSince(position: number, limit = -1): WriteRecord[] | undefined {
    if (position >= this.logPosition) return [];
    const oldest = (this.prepare(`SELECT min(position) AS oldest FROM ${LOG_TABLE}`).get() as { oldest: number | null }).oldest;
    if (oldest === null || oldest > position + 1) return undefined;
    const rows = this.prepare(`SELECT ${LOG_COLUMNS} FROM ${LOG_TABLE} WHERE position > ? ORDER BY position LIMIT ?`).all(position, limit) as LogRow[];
    return rows.map(recordFromRow);
  }

  /** The logged write at `position`; undefined when the log does not hold it (trimmed, or never written). */
  logEntryAt(position: number): WriteRecord | undefined {
    const row = this.prepare(`SELECT ${LOG_COLUMNS} FROM ${LOG_TABLE} WHERE position = ?`).get(position) as LogRow | undefined;
    return row === undefined ? undefined : recordFromRow(row);
  }

  /** Indexes created with create index (not the implicit ones of keys and unique columns). */
  explicitIndexes(): IndexDescription[] {
    const rows = this.db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ? ORDER BY name`)
      .all(this.definition.name) as Array<{ name: string }>;
    const list = this.db.prepare(`SELECT name, "unique" FROM pragma_index_list(?)`).all(this.definition.name) as Array<{ name: string; unique: number }>;
    return rows.map(({ name }) => ({
      name,
      unique: list.find((entry) => entry.name === name)?.unique === 1,
      columns: (this.db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(name) as Array<{ name: string }>).map((c) => c.name),
    }));
  }

  /**
   * Every row of the table in one RowChecksum, at the log position of the last commit;
   * for verify. Read in steps of `stepMs` by rowid, with the event loop free in between:
   * a table of hundreds of MiB takes seconds to hash, and a region whose loop stood that
   * long would miss its lease renewals (the TTL is 2 s by default) and lose its group.
   * The rows cannot change between steps (verify holds its group's writes, and a
   * replica's are all applied), and if the position moves all the same the checksum is
   * refused, not reported for a mix of two states. The sum is the same whatever order
   * the rows come in. With `stepMs` undefined (a standalone region: no lease, and writes
   * that go on) it is one pass, as it is when every name of the rowid is a column's.
   */
  async checksum(stepMs: number | undefined = CHECKSUM_STEP_MS): Promise<{ position: number; rows: number; checksum: string }> {
    if (this.db.inTransaction) throw new Error(`checksum of ${this.name} inside a transaction`);
    const position = this.logPosition;
    const sum = new RowChecksum();
    const table = `"${this.definition.name.replaceAll('"', '""')}"`;
    // A column named rowid hides the real one under that name: page by a name left free.
    const taken = new Set(this.definition.columns.map((column) => column.name.toLowerCase()));
    const rowid = ROWID_NAMES.find((name) => !taken.has(name));
    if (stepMs === undefined || rowid === undefined) {
      for (const row of this.db.prepare(`SELECT * FROM ${table}`).raw(true).iterate() as IterableIterator<unknown[]>) sum.add(row);
      return { position, rows: sum.count, checksum: sum.digest() };
    }
    // Integers as bigints: a rowid past 2^53 must page exactly (the sum reads 5n as 5).
    const first = this.db.prepare(`SELECT ${rowid}, * FROM ${table} ORDER BY ${rowid}`).raw(true).safeIntegers(true);
    const after = this.db.prepare(`SELECT ${rowid}, * FROM ${table} WHERE ${rowid} > ? ORDER BY ${rowid}`).raw(true).safeIntegers(true);
    let last: bigint | undefined;
    for (let more = true; more;) {
      more = false;
      const stepStarted = performance.now();
      for (const row of (last === undefined ? first.iterate() : after.iterate(last)) as IterableIterator<unknown[]>) {
        last = row[0] as bigint;
        sum.add(row.slice(1));
        // Leaving the loop resets the statement: no read is held open across the yield.
        if (performance.now() - stepStarted >= stepMs) {
          more = true;
          break;
        }
      }
      if (!more) break;
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.db.open) throw errors.tableNotFound(this.name);
      if (this.logPosition !== position || this.db.inTransaction) throw errors.writtenDuringChecksum(this.name, position, this.logPosition);
    }
    return { position, rows: sum.count, checksum: sum.digest() };
  }

  /** Rows in the table; for status and tests. */
  rowCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM "${this.definition.name.replaceAll('"', '""')}"`).get() as { n: number }).n;
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
    this.walSync?.close();
  }
}

/** Removes a database file with its WAL and shared-memory companions. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (existsSync(path + suffix)) rmSync(path + suffix, { force: true });
  }
}
