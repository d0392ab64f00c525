/**
 * One table, one SQLite file. The file holds the table, its indexes and its minisql
 * definition (in minisql_meta), so a copied file is a complete table.
 */
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { nameKey, type TableDefinition } from '@minisql/common';
import { createTableSql } from './sqlite-ddl.js';
import { LruCache } from './statement-cache.js';

export const TABLE_FILE_SUFFIX = '.sqlite';
/** Files being created carry this suffix until complete; a crash leaves them to be removed. */
export const TABLE_FILE_PARTIAL_SUFFIX = '.sqlite.partial';
const META_TABLE = 'minisql_meta';
const DEFINITION_KEY = 'definition';

export interface TableFileOptions {
  /** Prepared statements kept per table. */
  statementCacheSize: number;
  /** SQLite's synchronous setting: NORMAL survives a process crash, FULL also a power loss. */
  synchronous: 'NORMAL' | 'FULL';
}

export interface IndexDescription {
  name: string;
  columns: string[];
  unique: boolean;
}

export type SqliteStatement = Database.Statement<unknown[], unknown>;

export class TableFile {
  /** Prepared statements of this file's connection, by SQL text. */
  private readonly statements: LruCache<string, SqliteStatement>;

  private constructor(
    readonly path: string,
    readonly definition: TableDefinition,
    private readonly db: Database.Database,
    options: TableFileOptions,
  ) {
    this.statements = new LruCache(options.statementCacheSize);
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
        db.exec(createTableSql(definition));
      })();
    } finally {
      db.close();
    }
    renameSync(partial, path);
    return TableFile.open(path, options);
  }

  static open(path: string, options: TableFileOptions): TableFile {
    const db = new Database(path, { fileMustExist: true });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous}`);
      const row = db.prepare(`SELECT value FROM ${META_TABLE} WHERE key = ?`).get(DEFINITION_KEY) as { value: string } | undefined;
      if (!row) throw new Error(`${path} has no minisql table definition`);
      return new TableFile(path, JSON.parse(row.value) as TableDefinition, db, options);
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

  /** Runs `work` in one SQLite transaction: all of it is applied, or none. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  exec(sql: string): void {
    this.db.exec(sql);
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

  /** Rows in the table; for status and tests. */
  rowCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM "${this.definition.name.replaceAll('"', '""')}"`).get() as { n: number }).n;
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

/** Removes a database file with its WAL and shared-memory companions. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (existsSync(path + suffix)) rmSync(path + suffix, { force: true });
  }
}
