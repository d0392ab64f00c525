/** Rules for the names of tables, columns and indexes. */
import { errors, type MiniSqlError } from './errors.js';

export const NAME_LENGTH_MAX = 64;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** SQLite keeps its own objects under sqlite_; minisql keeps its metadata under minisql_. */
const RESERVED_PREFIXES = ['sqlite_', 'minisql_'];

/**
 * Table and index names become file names and SQLite names, so they are plain
 * identifiers. Returns the error, or undefined when the name is fine.
 */
export function checkName(kind: 'table' | 'column' | 'index', name: string): MiniSqlError | undefined {
  if (name.length === 0) return errors.invalidName(kind, name, 'the name is empty');
  if (name.length > NAME_LENGTH_MAX) return errors.invalidName(kind, name, `longer than ${NAME_LENGTH_MAX} characters`);
  if (!NAME_PATTERN.test(name)) {
    return errors.invalidName(kind, name, 'use letters, digits and underscores, starting with a letter or underscore');
  }
  const lower = name.toLowerCase();
  const reserved = RESERVED_PREFIXES.find((prefix) => lower.startsWith(prefix));
  if (reserved !== undefined) return errors.invalidName(kind, name, `names starting with ${reserved} are reserved`);
  return undefined;
}

/** Names compare without regard to case, as in SQLite; this is the key to compare by. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
