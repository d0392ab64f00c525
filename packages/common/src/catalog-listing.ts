/**
 * The rows of `show tables`, `show indexes` and `describe`, built from table definitions.
 * Shared by the region (its own files) and the master (the cluster's catalog in etcd),
 * so both print the same columns.
 */
import { nameKey } from './sql-names.js';
import { describeValue, toProtoValue } from './sql-values.js';
import type { ResultSet } from './proto-types.js';
import type { TableDefinition } from './table-definition.js';
import type { IndexRecord } from './cluster-records.js';

export const SHOW_TABLES_COLUMNS = ['Tables'] as const;
export const SHOW_INDEXES_COLUMNS = ['Table', 'Index', 'Columns', 'Unique', 'Origin'] as const;
export const DESCRIBE_COLUMNS = ['Field', 'Type', 'Null', 'Key', 'Default'] as const;

export interface CatalogTable {
  definition: TableDefinition;
  /** Indexes made with create index. */
  indexes: readonly IndexRecord[];
}

export function showIndexesRows(tables: readonly CatalogTable[]): string[][] {
  const rows: string[][] = [];
  for (const { definition, indexes } of tables) {
    rows.push([definition.name, 'PRIMARY', definition.primaryKey, 'yes', 'primary key']);
    for (const column of definition.columns) {
      if (column.unique && !column.primaryKey) rows.push([definition.name, column.name, column.name, 'yes', 'unique column']);
    }
    for (const index of indexes) rows.push([definition.name, index.name, index.columns.join(', '), index.unique ? 'yes' : 'no', 'create index']);
  }
  return rows;
}

export function describeRows({ definition, indexes }: CatalogTable): Array<Array<string | null>> {
  const indexed = new Set(indexes.flatMap((index) => index.columns.map(nameKey)));
  return definition.columns.map((column) => [
    column.name,
    column.type.declared,
    column.notNull ? 'NO' : 'YES',
    column.primaryKey ? 'PRI' : column.unique ? 'UNI' : indexed.has(nameKey(column.name)) ? 'MUL' : '',
    column.defaultValue === undefined ? null : describeValue(column.defaultValue),
  ]);
}

/** A result of rows of text, as the master answers catalog and user statements. */
export function textRows(kind: string, columns: readonly string[], values: ReadonlyArray<ReadonlyArray<string | null>>): ResultSet {
  return { kind, columns: columns.map((name) => ({ name, type: '' })), rows: values.map((row) => ({ values: row.map((value) => toProtoValue(value)) })) };
}

/** A result with no rows, only a message ("table `t` created"). */
export function doneResult(kind: string, message: string): ResultSet {
  return { kind, rows_affected: 0, message };
}
