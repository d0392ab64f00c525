/**
 * A backup of one table as SQL: a snapshot of its file at one log position (the online
 * backup API, as for a replica's copy), then its CREATE TABLE, CREATE INDEXes and rows
 * read from the snapshot, in parts of BACKUP_ROWS_PER_PART rows. The snapshot is a file
 * of its own, so reading it in parts, a turn of the event loop each, neither holds the
 * region's thread nor sees writes made after the position. The snapshot is removed at
 * the end, whatever happens.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTableSql, insertSql, quoteIdentifier, quoteSqliteName, type SqlParam } from '@minisql/common';
import type { TableFile } from './table-file.js';

export const BACKUP_ROWS_PER_PART = 500;

export interface BackupPartOut {
  position: number;
  statements: string[];
  rows: number;
  done: boolean;
}

export async function* backupParts(table: TableFile, scratchDir: string): AsyncGenerator<BackupPartOut> {
  mkdirSync(scratchDir, { recursive: true });
  const path = join(scratchDir, `${table.name.toLowerCase()}-${randomUUID()}.sqlite`);
  try {
    const position = await table.snapshotTo(path);
    const indexes = table
      .explicitIndexes()
      .map(
        (index) =>
          `create ${index.unique ? 'unique ' : ''}index ${quoteIdentifier(index.name)} on ${quoteIdentifier(table.name)} (${index.columns.map(quoteIdentifier).join(', ')});`,
      );
    yield { position, statements: [createTableSql(table.definition), ...indexes], rows: 0, done: false };
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const columns = table.definition.columns.map((column) => column.name);
      const rows = db
        .prepare(
          `SELECT ${columns.map(quoteSqliteName).join(', ')} FROM ${quoteSqliteName(table.name)} ORDER BY ${quoteSqliteName(table.definition.primaryKey)}`,
        )
        .raw(true)
        .safeIntegers(true);
      let part: SqlParam[][] = [];
      for (const row of rows.iterate() as IterableIterator<SqlParam[]>) {
        part.push(row.map(smallIntegersAsNumbers));
        if (part.length === BACKUP_ROWS_PER_PART) {
          yield { position, statements: [insertSql(table.name, columns, part)], rows: part.length, done: false };
          part = [];
        }
      }
      yield { position, statements: part.length > 0 ? [insertSql(table.name, columns, part)] : [], rows: part.length, done: true };
    } finally {
      db.close();
    }
  } finally {
    rmSync(path, { force: true });
  }
}

/** Integers read as bigint (so 64-bit ones stay exact) go back to numbers where they fit. */
function smallIntegersAsNumbers(value: SqlParam): SqlParam {
  return typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
