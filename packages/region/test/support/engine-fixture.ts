/**
 * An engine over real SQLite files in a temporary folder, in this process: what a region
 * holds, without its gRPC server. Tests open several side by side (a primary and its
 * replicas) and remove them all afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type SqlValue } from '@minisql/common';
import { QueryConnection } from '../../src/query-connection.js';
import { SqlEngine } from '../../src/sql-engine.js';
import { TableCatalog } from '../../src/table-catalog.js';

export interface EngineFixture {
  dataDir: string;
  catalog: TableCatalog;
  queries: QueryConnection;
  engine: SqlEngine;
}

const quiet = new Logger('test', 'region', 'error');
const opened: EngineFixture[] = [];

/** A replicated engine (as in a cluster) over `dataDir`, a new temporary folder by default. */
export function openEngine(dataDir = mkdtempSync(join(tmpdir(), 'minisql-engine-'))): EngineFixture {
  const catalog = new TableCatalog(dataDir, { statementCacheSize: 16, synchronous: 'NORMAL', pageCacheKiB: 2_048 }, quiet);
  catalog.load();
  const queries = new QueryConnection(16, 2_048);
  const engine = new SqlEngine(catalog, queries, { resultRowsMax: 1_000, analysisCacheSize: 64, replicated: true });
  const fixture = { dataDir, catalog, queries, engine };
  opened.push(fixture);
  return fixture;
}

/** Closes the files of one engine (its folder stays, to be opened again). */
export function closeEngine(fixture: EngineFixture): void {
  fixture.queries.close();
  fixture.catalog.close();
}

/** Closes every engine opened so far and removes their folders. */
export function removeEngines(): void {
  for (const fixture of opened.splice(0)) {
    closeEngine(fixture);
    rmSync(fixture.dataDir, { recursive: true, force: true });
  }
}

/** The rows of a select, as plain values (the engine answers with protobuf messages). */
export function selectRows(fixture: EngineFixture, sql: string): SqlValue[][] {
  return (fixture.engine.execute(sql).rows ?? []).map((row) => (row.values ?? []).map((value) => (value.int ?? value.float ?? value.text ?? null) as SqlValue));
}
