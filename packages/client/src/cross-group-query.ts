/**
 * A select over tables that live on different replica groups: the client fetches each
 * table from its group's primary, loads the rows into an in-memory SQLite database, and
 * runs the query there. Whole tables are fetched (no filter push-down yet), so this is
 * for small tables; a table cut at the server's row limit is refused rather than joined
 * incompletely.
 *
 * SQLite is loaded on the first such query, not with the library: the master uses this
 * package to reach regions, and a process that never joins across groups (the master
 * among them) loads no SQLite at all.
 */
import type SqliteDatabase from 'better-sqlite3';
import { errors, quoteSqliteName, type SqlParam, type SqlValue } from '@minisql/common';
import type { QueryResult } from '@minisql/wire';

let sqlite: typeof SqliteDatabase | undefined;

export async function crossGroupSelect(
  sql: string,
  tables: readonly string[],
  params: readonly SqlParam[],
  fetchTable: (table: string) => Promise<QueryResult>,
): Promise<QueryResult> {
  const fetched = await Promise.all(tables.map(async (table) => ({ table, result: await fetchTable(table) })));
  sqlite ??= (await import('better-sqlite3')).default;
  const db = new sqlite(':memory:');
  try {
    const declared = new Map<string, string>();
    for (const { table, result } of fetched) {
      if (result.truncated) throw errors.limitExceeded(`rows of table \`${table}\` for a query across replica groups`, result.rows.length);
      const columns = result.columns.map((column) => quoteSqliteName(column.name));
      db.exec(`CREATE TABLE ${quoteSqliteName(table)} (${columns.join(', ')})`);
      const insert = db.prepare(`INSERT INTO ${quoteSqliteName(table)} VALUES (${columns.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const row of result.rows) insert.run(row);
      })();
      for (const column of result.columns) declared.set(`${table.toLowerCase()}.${column.name.toLowerCase()}`, column.type);
    }
    let statement;
    try {
      statement = db.prepare(sql);
    } catch (error) {
      throw errors.sql((error as Error).message);
    }
    const columns = statement.columns().map((column) => ({
      name: column.name,
      type: column.table && column.column ? (declared.get(`${column.table.toLowerCase()}.${column.column.toLowerCase()}`) ?? '') : '',
    }));
    const rows = statement.raw(true).all(...params) as SqlValue[][];
    return { kind: 'select', columns, rows, rowsAffected: 0, message: '', truncated: false, stale: false, serverMicros: 0 };
  } finally {
    db.close();
  }
}
