/**
 * Translates a checked table definition into SQLite DDL. SQLite alone would store any
 * value in any column, so every column gets named CHECK constraints that enforce its
 * minisql type: a write that slips past the region's own checks (an update computing
 * a value) is still refused, and the constraint name tells which column and rule.
 */
import { INT_MAX, INT_MIN, BIGINT_MAX, BIGINT_MIN, quoteSqliteName, quoteSqliteString, type ColumnDefinition, type TableDefinition } from '@minisql/common';

/** Constraint names are `<column>:<rule>`; sqlite-errors.ts reads them back. */
export type CheckRule = 'type' | 'range' | 'length';

export function checkConstraintName(column: string, rule: CheckRule): string {
  return `${column}:${rule}`;
}

function literal(value: ColumnDefinition['defaultValue']): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quoteSqliteString(value);
  return `x'${value.toString('hex')}'`;
}

function columnChecks(column: ColumnDefinition): string[] {
  const name = quoteSqliteName(column.name);
  const check = (rule: CheckRule, condition: string): string => `CONSTRAINT ${quoteSqliteName(checkConstraintName(column.name, rule))} CHECK (${condition})`;
  switch (column.type.base) {
    case 'int':
      return [check('type', `typeof(${name}) IN ('integer', 'null')`), check('range', `${name} BETWEEN ${INT_MIN} AND ${INT_MAX}`)];
    case 'bigint':
      return [check('type', `typeof(${name}) IN ('integer', 'null')`), check('range', `${name} BETWEEN ${BIGINT_MIN} AND ${BIGINT_MAX}`)];
    case 'float':
      return [check('type', `typeof(${name}) IN ('real', 'integer', 'null')`)];
    case 'char':
      return [check('type', `typeof(${name}) IN ('text', 'null')`), check('length', `length(${name}) <= ${column.type.length}`)];
    case 'text':
      return [check('type', `typeof(${name}) IN ('text', 'null')`)];
  }
}

function columnSql(column: ColumnDefinition): string {
  const parts = [quoteSqliteName(column.name)];
  // An integer primary key becomes SQLite's rowid, so a point select is one B-tree lookup.
  const rowidKey = column.primaryKey && (column.type.base === 'int' || column.type.base === 'bigint');
  parts.push(rowidKey ? 'INTEGER' : column.type.declared);
  if (column.primaryKey) parts.push('PRIMARY KEY');
  if (column.notNull) parts.push('NOT NULL');
  if (column.unique && !column.primaryKey) parts.push('UNIQUE');
  if (column.defaultValue !== undefined) parts.push(`DEFAULT ${literal(column.defaultValue)}`);
  parts.push(...columnChecks(column));
  return parts.join(' ');
}

export function createTableSql(definition: TableDefinition): string {
  const columns = definition.columns.map(columnSql).join(',\n  ');
  return `CREATE TABLE ${quoteSqliteName(definition.name)} (\n  ${columns}\n)`;
}
