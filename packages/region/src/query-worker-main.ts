/**
 * A query worker: a child process of the region that runs selects which may take long
 * (query-plan.ts), on its own read-only connection to the table files. The region kills
 * it when a statement passes its deadline: SQLite's interrupt is not reachable through
 * better-sqlite3, and a process, unlike a thread, stops at once wherever it is.
 *
 * Protocol (Node IPC, structured clone): the region sends a QueryRequest, the worker
 * answers one QueryAnswer with the same id. One statement at a time. A WorkerDetach
 * (a table's file changed) is not answered.
 */
import { errors, MiniSqlError, type ProtoError__Output } from '@minisql/common';
import { QueryConnection } from './query-connection.js';
import type { QueryAnswer, QueryRequest, WorkerDetach } from './query-workers.js';
import { collectRows } from './result-limits.js';
import { errorFromSqlite } from './sqlite-errors.js';

/** Prepared statements the worker keeps. */
const STATEMENTS_KEPT = 64;

let connection: QueryConnection | undefined;

function answer(request: QueryRequest): QueryAnswer {
  connection ??= new QueryConnection(STATEMENTS_KEPT, request.pageCacheKiB);
  connection.readOnly();
  const context = { table: request.tables[0]?.name ?? '', definition: request.definition };
  try {
    const prepared = connection.prepare(request.sql, request.tables);
    if (!prepared.reader) throw errors.unsupported('a select that writes');
    const columns = prepared.columns().map((column) => ({ name: column.name, table: column.table, column: column.column }));
    prepared.raw(true);
    const params = request.params.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value));
    const { rows, truncated } = collectRows(prepared.iterate(...params) as IterableIterator<unknown[]>, request.rowsMax, request.bytesMax);
    return { id: request.id, columns, rows, truncated };
  } catch (error) {
    const failure = error instanceof MiniSqlError ? error : errorFromSqlite(error, context);
    return { id: request.id, error: failure.toProto() as ProtoError__Output };
  }
}

process.on('message', (request: QueryRequest | WorkerDetach) => {
  if ('detach' in request) {
    connection?.detach(request.detach);
    return;
  }
  const result = answer(request);
  // The rows are read: what sending them costs (a serialized copy) is not the statement's memory.
  process.send?.({ rowsReadFor: request.id });
  process.send?.(result);
});
// Started: what this process holds before any statement, the base its statements' memory is counted from.
process.send?.({ readyRssBytes: process.memoryUsage().rss });
// The region went away: nothing to answer to.
process.on('disconnect', () => process.exit(0));
