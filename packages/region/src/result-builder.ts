/** Builds the ResultSet messages the region returns. */
import { toProtoValue, type ResultSet } from '@minisql/common';

export interface ResultColumnType {
  name: string;
  /** Declared minisql type, empty for computed columns. */
  type: string;
  /** Integral values of float columns stay floats on the wire. */
  float: boolean;
}

export function rowsResult(kind: string, columns: readonly ResultColumnType[], rows: readonly unknown[][], truncated = false): ResultSet {
  return {
    kind,
    columns: columns.map(({ name, type }) => ({ name, type })),
    rows: rows.map((row) => ({ values: row.map((value, i) => toProtoValue(value, columns[i]?.float ?? false)) })),
    truncated,
  };
}

export function writeResult(kind: string, rowsAffected: number, message = ''): ResultSet {
  return { kind, rows_affected: rowsAffected, message };
}

/** Columns of a metadata listing: all text. */
export function textColumns(...names: string[]): ResultColumnType[] {
  return names.map((name) => ({ name, type: '', float: false }));
}
