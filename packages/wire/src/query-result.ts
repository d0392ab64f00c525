/** What a statement returned, as the client library hands it to callers. */
import { fromProtoValue, type SqlValue } from '@minisql/common';
import type { ResultSet__Output } from '@minisql/common';

export interface ResultColumn {
  name: string;
  /** Declared type of a table column ("int", "char(4)"); empty for computed columns. */
  type: string;
}

export interface QueryResult {
  /** The statement kind, e.g. "select", "insert", "create_table". */
  kind: string;
  columns: ResultColumn[];
  rows: SqlValue[][];
  rowsAffected: number;
  /** The outcome of DDL and metadata statements, in words. */
  message: string;
  /** True when the server cut the rows at its limit. */
  truncated: boolean;
  /** True when the rows came from a replica and may be stale. */
  stale: boolean;
  /** Time the server spent, in microseconds. */
  serverMicros: number;
}

export function queryResultFromProto(result: ResultSet__Output, serverMicros: number, stale: boolean): QueryResult {
  return {
    kind: result.kind,
    columns: result.columns.map((column) => ({ name: column.name, type: column.type })),
    rows: result.rows.map((row) => row.values.map(fromProtoValue)),
    rowsAffected: result.rows_affected,
    message: result.message,
    truncated: result.truncated,
    stale,
    serverMicros,
  };
}
