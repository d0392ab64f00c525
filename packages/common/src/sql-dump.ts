/**
 * A table as SQL text that minisql itself runs back (execfile, restore): its CREATE TABLE
 * in minisql's dialect, and its rows as multi-row INSERTs. Values are written so they
 * read back exactly: integers (64-bit ones too) as digits, floats in JavaScript's
 * shortest round-trip form, text quoted with '' for ', blobs as x'..'.
 */
import type { SqlParam } from './sql-values.js';
import type { TableDefinition } from './table-definition.js';

const INT64_MIN = -(2n ** 63n);

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function sqlLiteral(value: SqlParam): string {
  if (value === null) return 'null';
  // -2^63 has no literal (2^63 does not fit before the minus applies): it is computed.
  if (typeof value === 'bigint') return value === INT64_MIN ? '(-9223372036854775807 - 1)' : value.toString();
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return Object.is(value, -0) ? '-0.0' : String(value);
    return value > 0 ? '9e999' : value < 0 ? '-9e999' : 'null';
  }
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return `x'${Buffer.from(value).toString('hex')}'`;
}

export function createTableSql(definition: TableDefinition): string {
  const columns = definition.columns.map((column) =>
    [
      quoteIdentifier(column.name),
      column.type.declared,
      column.notNull && !column.primaryKey ? 'not null' : '',
      column.unique && !column.primaryKey ? 'unique' : '',
      column.defaultValue === undefined ? '' : `default ${sqlLiteral(column.defaultValue)}`,
    ]
      .filter((part) => part !== '')
      .join(' '),
  );
  return `create table ${quoteIdentifier(definition.name)} (${[...columns, `primary key (${quoteIdentifier(definition.primaryKey)})`].join(', ')});`;
}

export function insertSql(table: string, columns: readonly string[], rows: ReadonlyArray<readonly SqlParam[]>): string {
  const values = rows.map((row) => `(${row.map(sqlLiteral).join(', ')})`).join(',\n  ');
  return `insert into ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) values\n  ${values};`;
}
