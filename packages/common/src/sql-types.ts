/**
 * The column types of minisql and the rules that enforce them. Pure: used by the region
 * before it executes a write, so a bad value is refused with a reason naming the value
 * and the column, and nothing is written.
 */
import { errors, type MiniSqlError } from './errors.js';
import { describeValue, type SqlParam } from './sql-values.js';

export type BaseType = 'int' | 'bigint' | 'float' | 'char' | 'text';

export interface ColumnType {
  base: BaseType;
  /** For char(n) and varchar(n): n. 0 for other types. */
  length: number;
  /** The type as declared, lower case, e.g. "char(4)", "varchar(10)", "double". */
  declared: string;
}

export const CHAR_LENGTH_MAX = 255;
export const VARCHAR_LENGTH_MAX = 65_535;
export const INT_MIN = -2_147_483_648;
export const INT_MAX = 2_147_483_647;
/** bigint values are exact JS numbers on the wire, so they stop at 2^53 - 1. */
export const BIGINT_MIN = Number.MIN_SAFE_INTEGER;
export const BIGINT_MAX = Number.MAX_SAFE_INTEGER;

const ALIASES: Record<string, BaseType> = {
  int: 'int',
  integer: 'int',
  bigint: 'bigint',
  float: 'float',
  double: 'float',
  real: 'float',
  char: 'char',
  varchar: 'char',
  text: 'text',
};

/**
 * Parses a declared type: `name` is the type word (any case), `length` the number in
 * parentheses if one was given. Returns an error naming the column when it is not a
 * minisql type or the length is out of range.
 */
export function parseColumnType(name: string, length: number | undefined, column: string): ColumnType | MiniSqlError {
  const word = name.toLowerCase();
  const base = ALIASES[word];
  if (base === undefined) return errors.unknownType(length === undefined ? word : `${word}(${length})`, column);
  if (base === 'char') {
    const max = word === 'varchar' ? VARCHAR_LENGTH_MAX : CHAR_LENGTH_MAX;
    if (length === undefined) {
      return errors.unknownType(`${word} without a length; write ${word}(n) with 1 <= n <= ${max}`, column);
    }
    if (!Number.isInteger(length) || length < 1 || length > max) {
      return errors.unknownType(`${word}(${length}); n must be between 1 and ${max}`, column);
    }
    return { base, length, declared: `${word}(${length})` };
  }
  return { base, length: 0, declared: word };
}

export function isNumericType(type: ColumnType): boolean {
  return type.base === 'int' || type.base === 'bigint' || type.base === 'float';
}

/** Number of characters as SQLite's length() counts them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Checks one value against a column type. Returns the value to store (ints stay ints,
 * a float column stores any number) or the catalogued error. NULL is checked by the
 * caller, which knows whether the column allows it.
 */
export function checkValue<T extends SqlParam>(value: T, type: ColumnType, column: string): T | MiniSqlError {
  if (value === null) return value;
  switch (type.base) {
    case 'int':
    case 'bigint': {
      // A bigint is an integer by kind (a lifted literal or an int from the wire).
      if (typeof value !== 'bigint' && (typeof value !== 'number' || !Number.isInteger(value))) {
        return errors.typeMismatch(describeValue(value), type.declared, column);
      }
      const [min, max] = type.base === 'int' ? [INT_MIN, INT_MAX] : [BIGINT_MIN, BIGINT_MAX];
      if (value < min || value > max) return errors.outOfRange(describeValue(value), type.declared, column);
      return value;
    }
    case 'float':
      if (typeof value !== 'bigint' && (typeof value !== 'number' || !Number.isFinite(value))) {
        return errors.typeMismatch(describeValue(value), type.declared, column);
      }
      return value;
    case 'char':
      if (typeof value !== 'string') return errors.typeMismatch(describeValue(value), type.declared, column);
      if (characterCount(value) > type.length) return errors.valueTooLong(describeValue(value), type.declared, column);
      return value;
    case 'text':
      if (typeof value !== 'string') return errors.typeMismatch(describeValue(value), type.declared, column);
      return value;
  }
}
