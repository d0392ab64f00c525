/**
 * Statements that touch several tables (joins, subqueries, insert ... select) run on
 * one extra connection with the tables' files attached. SQLite finds an unqualified
 * table name in any attached database, so the statement text needs no rewriting.
 */
import Database from 'better-sqlite3';
import { errors, nameKey } from '@minisql/common';
import { LruCache } from '@minisql/common';
import type { SqliteStatement } from './table-file.js';

/** A table file to attach: its name and where it is. */
export interface AttachableTable {
  name: string;
  path: string;
}

/** SQLite's compiled-in limit on attached databases (SQLITE_MAX_ATTACHED). */
export const ATTACHED_TABLES_MAX = 10;

export class QueryConnection {
  private readonly db = new Database(':memory:');

  /** Makes every attached file read-only for this connection (a query worker's). */
  readOnly(): void {
    this.db.pragma('query_only = 1');
  }
  /** Attached tables: nameKey -> schema name, in least-recently-used order. */
  private readonly attached = new Map<string, string>();
  /** Prepared statements; cleared whenever the set of attached files changes. */
  private readonly statements: LruCache<string, SqliteStatement>;
  private schemaCounter = 0;

  constructor(
    statementCacheSize: number,
    /** Page cache of each attached file, in KiB (see RegionOptions.pageCacheKiB). */
    private readonly pageCacheKiB: number,
  ) {
    this.statements = new LruCache(statementCacheSize);
  }

  /** Prepares `sql` with every table in `tables` attached. */
  prepare(sql: string, tables: readonly AttachableTable[]): SqliteStatement {
    if (tables.length > ATTACHED_TABLES_MAX) throw errors.limitExceeded('number of tables in one statement', ATTACHED_TABLES_MAX);
    for (const table of tables) this.attach(table);
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Forgets a table whose file is going away. */
  detach(table: string): void {
    const schema = this.attached.get(nameKey(table));
    if (schema === undefined) return;
    this.statements.clear();
    this.db.exec(`DETACH DATABASE "${schema}"`);
    this.attached.delete(nameKey(table));
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private attach(table: AttachableTable): void {
    const key = nameKey(table.name);
    const schema = this.attached.get(key);
    if (schema !== undefined) {
      this.attached.delete(key);
      this.attached.set(key, schema);
      return;
    }
    if (this.attached.size >= ATTACHED_TABLES_MAX) {
      const oldest = this.attached.keys().next().value as string;
      this.detach(oldest);
    }
    this.statements.clear();
    const name = `t${this.schemaCounter++}`;
    this.db.prepare(`ATTACH DATABASE ? AS "${name}"`).run(table.path);
    this.db.pragma(`"${name}".cache_size = ${-Math.max(1, Math.floor(this.pageCacheKiB))}`);
    this.attached.set(key, name);
  }
}
