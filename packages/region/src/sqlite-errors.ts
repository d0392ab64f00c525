/**
 * Maps errors thrown by SQLite to the catalog. The statement context (which table,
 * which row) lets the message name the value when the region knows it.
 */
import { errors, MiniSqlError, nameKey, type TableDefinition } from '@minisql/common';

interface SqliteFailure {
  code?: string;
  message: string;
}

export interface FailureContext {
  /** The table the statement writes or reads first. */
  table?: string;
  /** For a failing literal row: the value of a column, as shown in messages. */
  columnValue?: (column: string) => string | undefined;
  /** The definition of that table: declared types and the primary key, for messages. */
  definition?: TableDefinition;
}

/** "UNIQUE constraint failed: T.b, T.c" -> ["b", "c"] */
function constrainedColumns(message: string): string[] {
  const colon = message.indexOf(':');
  if (colon < 0) return [];
  return message
    .slice(colon + 1)
    .split(',')
    .map((part) => part.trim())
    .map((part) => part.slice(part.lastIndexOf('.') + 1));
}

export function errorFromSqlite(thrown: unknown, context: FailureContext = {}): MiniSqlError {
  if (thrown instanceof MiniSqlError) return thrown;
  if (thrown instanceof RangeError && /parameter/i.test(thrown.message)) return errors.sql(thrown.message);
  if (!(thrown instanceof Error)) return MiniSqlError.from(thrown);
  const failure = thrown as SqliteFailure;
  const code = failure.code ?? '';
  const message = failure.message;
  const table = context.table ?? '';
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': {
      const columns = constrainedColumns(message);
      const column = columns.join(', ');
      const value = columns.length === 1 ? context.columnValue?.(column) : undefined;
      const primary =
        code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (context.definition !== undefined && nameKey(column) === nameKey(context.definition.primaryKey));
      return errors.duplicateKey(column, value, primary);
    }
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return errors.notNull(constrainedColumns(message)[0] ?? '');
    case 'SQLITE_CONSTRAINT_CHECK': {
      const name = message.slice(message.indexOf(':') + 1).trim();
      const [column = '', rule = ''] = name.split(':');
      const value = context.columnValue?.(column);
      const declared = context.definition?.columns.find((c) => nameKey(c.name) === nameKey(column))?.type.declared ?? 'declared';
      if (rule === 'length') return errors.valueTooLong(value, declared, column);
      if (rule === 'range') return errors.outOfRange(value, declared, column);
      return errors.typeMismatch(value, declared, column);
    }
    case 'SQLITE_FULL':
      return errors.diskFull(table);
    case 'SQLITE_TOOBIG':
      return errors.limitExceeded('value or row size', 1_000_000_000);
    case 'SQLITE_MISMATCH': {
      // Only an integer primary key (SQLite's rowid) raises this: it holds integers alone.
      const key = context.definition?.columns.find((c) => c.primaryKey);
      if (key) return errors.typeMismatch(undefined, key.type.declared, key.name);
      return errors.sql(message, table);
    }
    case 'SQLITE_ERROR':
    case 'SQLITE_RANGE':
      return fromSqliteMessage(message, table);
    default:
      if (code.startsWith('SQLITE_CONSTRAINT')) return errors.constraint(`constraint failed on table \`${table}\`: ${message}`, table);
      return errors.internal(`storage error on table \`${table}\`: ${code} ${message}`);
  }
}

function fromSqliteMessage(message: string, table: string): MiniSqlError {
  let match = /^no such column: (.+)$/.exec(message);
  if (match) return errors.columnNotFound(match[1] as string, table);
  match = /^table (\S+) has no column named (.+)$/.exec(message);
  if (match) return errors.columnNotFound(match[2] as string, match[1] as string);
  match = /^no such table: (.+)$/.exec(message);
  if (match) return errors.tableNotFound(match[1] as string);
  match = /^near "(.*)": syntax error$/s.exec(message);
  if (match) return errors.syntax(match[1] as string, 0, 0, 0);
  if (message === 'incomplete input') return errors.sql('syntax error: the statement ends too early');
  return errors.sql(message, table);
}
