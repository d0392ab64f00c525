/**
 * SQL values in JavaScript and on the wire. Integers travel as int64 and are JS numbers
 * here, so they are exact up to 2^53 - 1 (the range of `bigint` columns, see sql-types).
 */
import type { Value, Value__Output } from './generated/minisql/v1/Value.js';

export type SqlValue = null | number | string | Buffer;

/** `asFloat` keeps integral values of float columns typed as floats on the wire. */
export function toProtoValue(value: unknown, asFloat = false): Value {
  if (value === null || value === undefined) return { null: true };
  if (typeof value === 'number') {
    return Number.isInteger(value) && !asFloat ? { int: value } : { float: value };
  }
  if (typeof value === 'bigint') return { int: Number(value) };
  if (typeof value === 'string') return { text: value };
  if (Buffer.isBuffer(value)) return { blob: value };
  if (typeof value === 'boolean') return { int: value ? 1 : 0 };
  return { text: String(value) };
}

export function fromProtoValue(value: Value__Output): SqlValue {
  switch (value.kind) {
    case 'int':
      return value.int ?? 0;
    case 'float':
      return value.float ?? 0;
    case 'text':
      return value.text ?? '';
    case 'blob':
      return value.blob ?? Buffer.alloc(0);
    default:
      return null;
  }
}

/** How a value is shown in messages: strings quoted, NULL spelled out. */
export function describeValue(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value}'`;
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  return String(value);
}

/** Parameter values as JSON for the replication log (blobs as base64). */
export function encodeParams(params: readonly SqlValue[]): string {
  return JSON.stringify(params.map((value) => (Buffer.isBuffer(value) ? { blob: value.toString('base64') } : value)));
}

export function decodeParams(text: string): SqlValue[] {
  return (JSON.parse(text) as Array<SqlValue | { blob: string }>).map((value) =>
    value !== null && typeof value === 'object' && 'blob' in value ? Buffer.from(value.blob, 'base64') : (value as SqlValue),
  );
}
