/**
 * A logged write as the wire carries it (LogEntry) and as a table file keeps it
 * (WriteRecord): replication, a joining replica's tail and a table move all send the
 * same entries.
 */
import { decodeParams, encodeParams, paramFromProto, paramToProto, type LogEntry, type LogEntry__Output } from '@minisql/common';
import type { LoggedWrite } from './sql-engine.js';

export function toLogEntry({ table, record }: LoggedWrite): LogEntry {
  return {
    table,
    position: record.position,
    request_id: record.requestId,
    sql: record.sql,
    params: decodeParams(record.params).map(paramToProto),
    rows_affected: record.rowsAffected,
    now_ms: record.nowMs,
    seed: record.seed,
    checksum: record.checksum,
  };
}

export function fromLogEntry(entry: LogEntry__Output): LoggedWrite {
  return {
    table: entry.table,
    record: {
      position: Number(entry.position),
      requestId: entry.request_id,
      sql: entry.sql,
      params: encodeParams(entry.params.map(paramFromProto)),
      rowsAffected: Number(entry.rows_affected),
      nowMs: entry.now_ms,
      seed: entry.seed,
      checksum: entry.checksum,
    },
  };
}

/** About what an entry weighs in a message: its statement and its parameters (JSON). */
export function loggedWriteBytes({ record }: LoggedWrite): number {
  return 128 + record.sql.length + record.params.length;
}
