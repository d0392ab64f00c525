/**
 * SQL values in JavaScript and on the wire. Integers travel as int64 and are JS numbers
 * here, so they are exact up to 2^53 - 1 (the range of `bigint` columns, see sql-types).
 */
import type { Value, Value__Output } from './generated/minisql/v1/Value.js';

export type SqlValue = null | number | string | Buffer;

/**
 * A statement parameter as the region binds it: a bigint binds as SQLite INTEGER, a
 * number as REAL, so `? / 2` with 7 is 3 when the caller sent an integer, as the literal
 * `7 / 2` is. Integers arrive from the wire as int64 and literals lifted from a statement's
 * text (statement-shape.ts) as bigints.
 */
export type SqlParam = SqlValue | bigint;

/** A parameter from the wire: an int becomes a bigint (INTEGER), a float a number (REAL). */
export function paramFromProto(value: Value__Output): SqlParam {
  return value.kind === 'int' ? BigInt(value.int ?? 0) : fromProtoValue(value);
}

/** A parameter for the wire, keeping INTEGER and REAL apart (a REAL 2.0 stays a float). */
export function paramToProto(value: SqlParam): Value {
  return typeof value === 'number' ? { float: value } : toProtoValue(value);
}

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
  // SQLite gives nothing else; anything that comes is shown as JSON rather than [object Object].
  return { text: JSON.stringify(value) ?? typeof value };
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
export function describeValue(value: SqlParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value}'`;
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  return String(value);
}

/**
 * Parameter values as JSON for the replication log: blobs as base64, integers (bigints)
 * as `{"int": "7"}` so they bind as INTEGER again on replay; a plain number is a REAL.
 */
export function encodeParams(params: readonly SqlParam[]): string {
  return JSON.stringify(
    params.map((value) => (Buffer.isBuffer(value) ? { blob: value.toString('base64') } : typeof value === 'bigint' ? { int: value.toString() } : value)),
  );
}

export function decodeParams(text: string): SqlParam[] {
  return (JSON.parse(text) as Array<SqlValue | { blob: string } | { int: string }>).map((value) => {
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
    return 'blob' in value ? Buffer.from(value.blob, 'base64') : BigInt(value.int);
  });
}
