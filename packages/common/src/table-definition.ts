/**
 * Turns the parsed `create table` statement into a checked table definition: the
 * MiniSQL rules (at most 32 columns, exactly one single-column primary key, known
 * types) are enforced here, before anything touches a file.
 */
import { errors, MiniSqlError } from './errors.js';
import { checkName, nameKey } from './sql-names.js';
import { checkValue, parseColumnType, type ColumnType } from './sql-types.js';
import type { SqlValue } from './sql-values.js';
import { placeholderValue } from './sql-rewrite.js';

export const COLUMN_COUNT_MAX = 32;

export interface ColumnDefinition {
  name: string;
  type: ColumnType;
  notNull: boolean;
  unique: boolean;
  primaryKey: boolean;
  /** Absent when the column has no default. */
  defaultValue?: SqlValue;
}

export interface TableDefinition {
  name: string;
  columns: ColumnDefinition[];
  primaryKey: string;
}

/* The slice of node-sql-parser's create-table AST that minisql reads. */
interface AstColumnDefinition {
  resource: 'column';
  column: { column: string | { expr?: { value?: string } } };
  definition: { dataType: string; length?: number; scale?: number };
  nullable?: { type: string } | null;
  unique?: string | null;
  primary_key?: string | null;
  default_val?: { value: AstLiteral } | null;
}

interface AstConstraintDefinition {
  resource: 'constraint';
  constraint_type: string;
  definition: Array<{ column: string | { expr?: { value?: string } } }>;
}

interface AstLiteral {
  type: string;
  value: unknown;
}

export interface CreateTableAst {
  table: Array<{ table: string }>;
  temporary?: string | null;
  as?: string | null;
  create_definitions: Array<AstColumnDefinition | AstConstraintDefinition | { resource: string }> | null;
}

function columnName(column: string | { expr?: { value?: string } }): string {
  return typeof column === 'string' ? column : String(column.expr?.value ?? '');
}

function literalValue(literal: AstLiteral, strings: readonly string[]): SqlValue | undefined {
  switch (literal.type) {
    case 'number':
    case 'bigint':
      return Number(literal.value);
    case 'single_quote_string':
    case 'double_quote_string':
    case 'string':
      return placeholderValue(String(literal.value), strings);
    case 'null':
      return null;
    case 'bool':
      return literal.value ? 1 : 0;
    case 'unary_expr': {
      const inner = (literal as unknown as { operator: string; expr: AstLiteral }).expr;
      const value = literalValue(inner, strings);
      return typeof value === 'number' ? -value : undefined;
    }
    default:
      return undefined;
  }
}

export function buildTableDefinition(ast: CreateTableAst, strings: readonly string[]): TableDefinition | MiniSqlError {
  const name = ast.table[0]?.table ?? '';
  const nameError = checkName('table', name);
  if (nameError) return nameError;
  if (ast.temporary) return errors.unsupported('CREATE TEMPORARY TABLE');
  if (ast.as || !ast.create_definitions) return errors.unsupported('CREATE TABLE ... AS SELECT');

  const columns: ColumnDefinition[] = [];
  const seen = new Set<string>();
  const primaryKeys: string[] = [];
  for (const definition of ast.create_definitions) {
    if (definition.resource === 'column') {
      const column = definition as AstColumnDefinition;
      const columnNameText = columnName(column.column.column);
      const columnError = checkName('column', columnNameText);
      if (columnError) return columnError;
      if (seen.has(nameKey(columnNameText))) {
        return errors.invalidDefinition(name, `column \`${columnNameText}\` is defined twice`);
      }
      seen.add(nameKey(columnNameText));
      const type = parseColumnType(column.definition.dataType, column.definition.length, columnNameText);
      if (type instanceof MiniSqlError) return type;
      const primaryKey = Boolean(column.primary_key);
      if (primaryKey) primaryKeys.push(columnNameText);
      const result: ColumnDefinition = {
        name: columnNameText,
        type,
        notNull: column.nullable?.type === 'not null' || primaryKey,
        unique: Boolean(column.unique) || primaryKey,
        primaryKey,
      };
      if (column.default_val) {
        const value = literalValue(column.default_val.value, strings);
        if (value === undefined) {
          return errors.invalidDefinition(name, `the default of column \`${columnNameText}\` must be a literal value`);
        }
        const checked = checkValue(value, type, columnNameText);
        if (checked instanceof MiniSqlError) return checked;
        result.defaultValue = checked;
      }
      columns.push(result);
    } else if (definition.resource === 'constraint') {
      const constraint = definition as AstConstraintDefinition;
      const names = constraint.definition.map((part) => columnName(part.column));
      const kind = constraint.constraint_type.toLowerCase();
      if (kind === 'primary key') {
        if (names.length !== 1) {
          return errors.invalidDefinition(name, `the primary key must be one column, got ${names.length} (${names.join(', ')})`);
        }
        primaryKeys.push(names[0] as string);
      } else if (kind === 'unique' || kind === 'unique key' || kind === 'unique index') {
        if (names.length !== 1) {
          return errors.invalidDefinition(name, 'a unique constraint must name one column; use create unique index for several');
        }
        const target = columns.find((c) => nameKey(c.name) === nameKey(names[0] as string));
        if (!target) return errors.columnNotFound(names[0] as string, name);
        target.unique = true;
      } else {
        return errors.unsupported(`${constraint.constraint_type.toUpperCase()} constraint`);
      }
    } else {
      return errors.unsupported(`${definition.resource} in CREATE TABLE`);
    }
  }
  if (columns.length === 0) return errors.invalidDefinition(name, 'a table needs at least one column');
  if (columns.length > COLUMN_COUNT_MAX) {
    return errors.invalidDefinition(name, `${columns.length} columns is more than the limit of ${COLUMN_COUNT_MAX}`);
  }
  if (primaryKeys.length !== 1) {
    return errors.invalidDefinition(
      name,
      primaryKeys.length === 0 ? 'a primary key is required: add primary key ( column )' : 'only one primary key is allowed',
    );
  }
  const primaryKeyName = primaryKeys[0] as string;
  const primaryColumn = columns.find((c) => nameKey(c.name) === nameKey(primaryKeyName));
  if (!primaryColumn) return errors.columnNotFound(primaryKeyName, name);
  primaryColumn.primaryKey = true;
  primaryColumn.notNull = true;
  primaryColumn.unique = true;
  return { name, columns, primaryKey: primaryColumn.name };
}
