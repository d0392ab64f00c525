#!/usr/bin/env node
/**
 * Region benchmark: what one minisql region costs per statement, against two baselines,
 * measured in one run so every number shares the same machine state.
 *
 *   node packages/region/dist/bench/region-bench.js [--duration-ms 3000] [--warmup-ms 500] [--json out.json]
 *
 * What it measures, on one table `bench (id int, name char(32), score float, primary key (id))`
 * preloaded with --rows rows (default 10,000):
 *
 * - minisql via gRPC: a real region server process (dist/src/main.js, fresh data dir) and
 *   one MiniSqlClient (one HTTP/2 connection), driven by a closed loop of 1, 8 and 32
 *   async workers:
 *     point select   `select * from bench where id = ?`, random existing id
 *     insert         `insert into bench values (?, ?, ?)`, fresh ids from one counter
 *     no-op          `client.ping()` (RegionService.Ping): same server, same connection
 * - better-sqlite3 in-process: the same table (the same SQLite column types and CHECK
 *   constraints as a region table file), WAL and synchronous=NORMAL like the region, the
 *   same preload, the same point select and insert through prepared statements.
 *
 * Why each baseline is there:
 * - no-op gRPC is the cost of one unary call (client stub, protobuf, HTTP/2 stream,
 *   loopback, the server's event loop). Statements travel on the statement stream
 *   (ExecuteStream), which costs less per message than a unary call, so point select /
 *   no-op can exceed 1; `npm run bench:compare` measures the stream's own floor
 *   against a no-op server.
 * - better-sqlite3 in-process is the floor of the storage work: the same SQLite
 *   statements with no process boundary, no parsing or analysis by minisql, no RPC.
 *   gRPC c=1 / better-sqlite3 shows the total price of being a server.
 *   better-sqlite3 is synchronous, so concurrency does not apply: it runs at
 *   concurrency 1 only (one thread issuing statements back to back).
 *
 * Before the first cell, a few seconds of mixed gRPC load warm up the JIT of both
 * processes. Each cell then runs a warm-up (not recorded) and a measured window bounded
 * by time and by an operation count. Per cell it reports ops/s, p50 and p99 latency (nearest rank on
 * the sorted per-operation samples), the region process's CPU % and RSS (from /proc),
 * and this process's CPU % and RSS (process.cpuUsage, memoryUsage). On a 2-core
 * machine the benchmark client competes with the region for CPU: read bench CPU % next
 * to region CPU % before blaming either side. CPU µs per operation (in the ratios
 * section) is less sensitive to that noise than ops/s.
 *
 * Progress goes to stderr; the tables (Markdown) go to stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ReadyProcess } from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import { runClosedLoop, runSyncLoop, type LoopOptions, type LoopResult } from './closed-loop.js';
import { summarizeLatencies, type LatencySummary } from './latency-stats.js';
import { clockTicksPerSecond, sampleMachine, sampleOtherProcess, sampleThisProcess, usageDelta, type UsageDelta, type UsageSample } from './process-usage.js';

/** dist/bench -> dist/src/main.js */
const REGION_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

const DEFAULTS = {
  durationMs: 3_000,
  warmupMs: 500,
  initialWarmupMs: 2_000,
  maxOps: 2_000_000,
  rows: 10_000,
  concurrency: [1, 8, 32],
} as const;
/** Bench CPU % from which a gRPC cell is flagged as possibly limited by the client. */
const CLIENT_BOUND_CPU_PERCENT = 85;
/** Rows per insert statement of the preload. */
const PRELOAD_BATCH_ROWS = 500;

const USAGE = `usage: node packages/region/dist/bench/region-bench.js [options]
Compares one minisql region over gRPC (point select, single-row insert, no-op ping) at
several concurrencies with better-sqlite3 in-process (concurrency 1). Tables to stdout,
progress to stderr.
  --duration-ms MS     measured time per cell (default ${DEFAULTS.durationMs})
  --warmup-ms MS       unrecorded warm-up before each cell (default ${DEFAULTS.warmupMs})
  --initial-warmup-ms MS  unrecorded mixed gRPC load before the first cell, so JIT
                       warm-up does not penalise whichever cell runs first (default ${DEFAULTS.initialWarmupMs})
  --max-ops N          operation cap per cell, warm-up and measured window each (default ${DEFAULTS.maxOps})
  --rows N             rows preloaded in each table (default ${DEFAULTS.rows})
  --concurrency LIST   gRPC concurrencies, comma-separated (default ${DEFAULTS.concurrency.join(',')})
  --json PATH          also write the results as JSON to PATH
  -h, --help           show this help`;

interface BenchOptions {
  durationMs: number;
  warmupMs: number;
  initialWarmupMs: number;
  maxOps: number;
  rows: number;
  concurrency: number[];
  json?: string;
}

function positiveInt(name: string, text: string | undefined, fallback: number, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${text}`);
  return value;
}

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'initial-warmup-ms': { type: 'string' },
      'max-ops': { type: 'string' },
      rows: { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const options: BenchOptions = {
    durationMs: positiveInt('duration-ms', values['duration-ms'], DEFAULTS.durationMs),
    warmupMs: positiveInt('warmup-ms', values['warmup-ms'], DEFAULTS.warmupMs, true),
    initialWarmupMs: positiveInt('initial-warmup-ms', values['initial-warmup-ms'], DEFAULTS.initialWarmupMs, true),
    maxOps: positiveInt('max-ops', values['max-ops'], DEFAULTS.maxOps),
    rows: positiveInt('rows', values.rows, DEFAULTS.rows),
    concurrency:
      values.concurrency === undefined ? [...DEFAULTS.concurrency] : values.concurrency.split(',').map((c) => positiveInt('concurrency', c.trim(), 1)),
  };
  if (values.json !== undefined) options.json = values.json;
  return options;
}

type Operation = 'no-op' | 'point select' | 'insert';
type Target = 'minisql gRPC' | 'better-sqlite3';

interface CellResult {
  operation: Operation;
  target: Target;
  concurrency: number;
  ops: number;
  errors: number;
  firstError?: string;
  capped: boolean;
  elapsedSeconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  region: UsageDelta;
  bench: UsageDelta;
  /** CPU % of one core used by everything else on the machine during the window. */
  otherCpuPercent: number;
  /** Region CPU time per successful operation, in microseconds. */
  regionCpuMicrosPerOp: number;
  /** This process's CPU time per successful operation, in microseconds. */
  benchCpuMicrosPerOp: number;
}

interface Ratio {
  name: string;
  numerator: string;
  denominator: string;
  opsPerSecondRatio: number;
  p50Ratio: number;
  p99Ratio: number;
}

const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

const cellKey = (operation: Operation, target: Target, concurrency: number): string =>
  `${operation} ${target === 'minisql gRPC' ? 'gRPC' : target} c=${concurrency}`;

// ---- resources, cleaned up exactly once (finally, SIGINT, SIGTERM) ----

const resources: { region?: ReadyProcess; client?: MiniSqlClient; sqlite?: Database.Database; dirs: string[] } = { dirs: [] };
let cleaning: Promise<void> | undefined;
/** Aborted by SIGINT/SIGTERM: loops stop issuing operations and no further cell starts. */
const interrupt = new AbortController();

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    try {
      resources.client?.close();
    } catch {
      // Closing a client twice or after a failure is harmless.
    }
    try {
      resources.sqlite?.close();
    } catch {
      // Already closed.
    }
    if (resources.region) await resources.region.stop();
    for (const dir of resources.dirs) rmSync(dir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupt.abort(new Error(`interrupted by ${signal}`));
    log(`${signal}: stopping the region and removing temporary directories`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

// ---- the table and its rows, shared by both targets ----

const CREATE_TABLE = 'create table bench (id int, name char(32), score float, primary key (id));';
/** What a region table file holds for CREATE_TABLE (see src/sqlite-ddl.ts): rowid key, typed CHECKs. */
const SQLITE_CREATE_TABLE = `CREATE TABLE bench (
  id INTEGER PRIMARY KEY CONSTRAINT "id:type" CHECK (typeof(id) IN ('integer', 'null')) CONSTRAINT "id:range" CHECK (id BETWEEN -2147483648 AND 2147483647),
  name char(32) CONSTRAINT "name:type" CHECK (typeof(name) IN ('text', 'null')) CONSTRAINT "name:length" CHECK (length(name) <= 32),
  score float CONSTRAINT "score:type" CHECK (typeof(score) IN ('real', 'integer', 'null'))
)`;
const POINT_SELECT = 'select * from bench where id = ?';
const INSERT_ONE = 'insert into bench values (?, ?, ?)';

/** The values of row `id`; the score has a fraction so it travels as a float. */
function rowValues(id: number): [number, string, number] {
  return [id, `name-${id}`, id + 0.25];
}

function insertManySql(rows: number, placeholder = '(?, ?, ?)'): string {
  return `insert into bench values ${Array.from({ length: rows }, () => placeholder).join(', ')}`;
}

function preloadBatches(rows: number): Array<{ count: number; params: Array<number | string> }> {
  const batches: Array<{ count: number; params: Array<number | string> }> = [];
  for (let first = 1; first <= rows; first += PRELOAD_BATCH_ROWS) {
    const count = Math.min(PRELOAD_BATCH_ROWS, rows - first + 1);
    const params: Array<number | string> = [];
    for (let id = first; id < first + count; id++) params.push(...rowValues(id));
    batches.push({ count, params });
  }
  return batches;
}

// ---- one cell ----

async function measureCell(
  operation: Operation,
  target: Target,
  concurrency: number,
  options: BenchOptions,
  regionPid: number,
  ticksPerSecond: number,
  run: (loop: LoopOptions) => Promise<LoopResult> | LoopResult,
): Promise<CellResult> {
  interrupt.signal.throwIfAborted();
  log(`${operation} ${target === 'minisql gRPC' ? 'gRPC' : target} c=${concurrency} ...`);
  let regionBefore: UsageSample | undefined;
  let regionAfter: UsageSample | undefined;
  let benchBefore: UsageSample | undefined;
  let benchAfter: UsageSample | undefined;
  let machineBefore: UsageSample | undefined;
  let machineAfter: UsageSample | undefined;
  const loop = await run({
    concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    maxOps: options.maxOps,
    signal: interrupt.signal,
    onMeasureStart: () => {
      machineBefore = sampleMachine(ticksPerSecond);
      benchBefore = sampleThisProcess();
      regionBefore = sampleOtherProcess(regionPid, ticksPerSecond);
    },
    onMeasureEnd: () => {
      regionAfter = sampleOtherProcess(regionPid, ticksPerSecond);
      benchAfter = sampleThisProcess();
      machineAfter = sampleMachine(ticksPerSecond);
    },
  });
  interrupt.signal.throwIfAborted();
  if (!regionBefore || !regionAfter || !benchBefore || !benchAfter || !machineBefore || !machineAfter) throw new Error('internal: usage was not sampled');
  const elapsedSeconds = loop.elapsedNs / 1e9;
  const region = usageDelta(regionBefore, regionAfter);
  const bench = usageDelta(benchBefore, benchAfter);
  const machine = usageDelta(machineBefore, machineAfter);
  const cell: CellResult = {
    operation,
    target,
    concurrency,
    ops: loop.ops,
    errors: loop.errors,
    capped: loop.capped,
    elapsedSeconds,
    opsPerSecond: elapsedSeconds > 0 ? loop.ops / elapsedSeconds : Number.NaN,
    latency: summarizeLatencies(loop.latenciesNs),
    region,
    bench,
    otherCpuPercent: Math.max(0, machine.cpuPercent - region.cpuPercent - bench.cpuPercent),
    regionCpuMicrosPerOp: loop.ops > 0 ? (region.cpuSeconds * 1e6) / loop.ops : Number.NaN,
    benchCpuMicrosPerOp: loop.ops > 0 ? (bench.cpuSeconds * 1e6) / loop.ops : Number.NaN,
  };
  if (loop.firstError !== undefined) cell.firstError = loop.firstError instanceof Error ? loop.firstError.message : JSON.stringify(loop.firstError);
  log(
    `  -> ${fmtInt(cell.opsPerSecond)} ops/s, p50 ${fmtMs(cell.latency.p50Ms)} ms, p99 ${fmtMs(cell.latency.p99Ms)} ms, ` +
      `region CPU ${fmtPct(region.cpuPercent)} %, bench CPU ${fmtPct(bench.cpuPercent)} %, other CPU ${fmtPct(cell.otherCpuPercent)} %` +
      (cell.errors > 0 ? `, ${cell.errors} errors (first: ${cell.firstError})` : '') +
      (cell.capped ? `, stopped at --max-ops ${options.maxOps}` : ''),
  );
  if (cell.errors > 0 && cell.ops === 0) throw new Error(`every ${cellKey(operation, target, concurrency)} operation failed: ${cell.firstError}`);
  return cell;
}

// ---- formatting ----

function fmtInt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

function fmtPct(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : 'n/a';
}

function fmtRatio(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 100) return `${value.toFixed(0)}×`;
  if (value >= 1) return `${value.toFixed(2)}×`;
  return `${value.toPrecision(2)}×`;
}

function resultsTable(cells: CellResult[]): string {
  const lines = [
    '| operation | target | concurrency | ops/s | p50 ms | p99 ms | region CPU % | region RSS MB | bench CPU % | bench RSS MB | other CPU % | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const cell of cells) {
    const inProcess = cell.target === 'better-sqlite3';
    // In-process rows do not use the region: its numbers are shown in parentheses (idle noise).
    const regionCpu = inProcess ? `(${fmtPct(cell.region.cpuPercent)})` : fmtPct(cell.region.cpuPercent);
    const regionRss = inProcess ? `(${cell.region.rssAfterMb.toFixed(1)})` : cell.region.rssAfterMb.toFixed(1);
    lines.push(
      `| ${cell.operation} | ${inProcess ? 'better-sqlite3 (in-process)' : cell.target} | ${inProcess ? '1 (only)' : cell.concurrency} | ` +
        `${fmtInt(cell.opsPerSecond)}${cell.capped ? ' (capped)' : ''} | ${fmtMs(cell.latency.p50Ms)} | ${fmtMs(cell.latency.p99Ms)} | ` +
        `${regionCpu} | ${regionRss} | ${fmtPct(cell.bench.cpuPercent)} | ${cell.bench.rssAfterMb.toFixed(1)} | ${fmtPct(cell.otherCpuPercent)} | ${cell.errors} |`,
    );
  }
  return lines.join('\n');
}

function computeRatios(cells: CellResult[], concurrencies: number[]): Ratio[] {
  const byKey = new Map(cells.map((cell) => [cellKey(cell.operation, cell.target, cell.concurrency), cell]));
  const ratios: Ratio[] = [];
  const add = (name: string, numerator: string, denominator: string): void => {
    const a = byKey.get(numerator);
    const b = byKey.get(denominator);
    if (!a || !b) return;
    ratios.push({
      name,
      numerator,
      denominator,
      opsPerSecondRatio: a.opsPerSecond / b.opsPerSecond,
      p50Ratio: a.latency.p50Ms / b.latency.p50Ms,
      p99Ratio: a.latency.p99Ms / b.latency.p99Ms,
    });
  };
  const sorted = [...concurrencies].sort((x, y) => y - x);
  const highest = sorted[0] ?? 1;
  const lowest = sorted[sorted.length - 1] ?? 1;
  for (const c of sorted) {
    add(`point select over the RPC floor, c=${c}`, cellKey('point select', 'minisql gRPC', c), cellKey('no-op', 'minisql gRPC', c));
    add(`insert over the RPC floor, c=${c}`, cellKey('insert', 'minisql gRPC', c), cellKey('no-op', 'minisql gRPC', c));
  }
  const sqlite = (operation: Operation): string => cellKey(operation, 'better-sqlite3', 1);
  for (const c of lowest === highest ? [lowest] : [lowest, highest]) {
    add(`point select, minisql gRPC c=${c} vs in-process SQLite`, cellKey('point select', 'minisql gRPC', c), sqlite('point select'));
    add(`insert, minisql gRPC c=${c} vs in-process SQLite`, cellKey('insert', 'minisql gRPC', c), sqlite('insert'));
  }
  add(`no-op RPC c=${lowest} vs in-process SQLite point select`, cellKey('no-op', 'minisql gRPC', lowest), sqlite('point select'));
  if (lowest !== highest) {
    for (const operation of ['no-op', 'point select', 'insert'] as const) {
      add(`${operation} gRPC scaling c=${highest} vs c=${lowest}`, cellKey(operation, 'minisql gRPC', highest), cellKey(operation, 'minisql gRPC', lowest));
    }
  }
  return ratios;
}

function ratiosSection(cells: CellResult[], ratios: Ratio[], concurrencies: number[]): string {
  const lines = [
    '## Ratios',
    '',
    'Numerator / denominator from this run. ops/s below 1× means the numerator is slower; p50 and p99 above 1× mean it waits longer.',
    '',
    '| ratio | numerator / denominator | ops/s | p50 | p99 |',
    '|---|---|---:|---:|---:|',
  ];
  for (const ratio of ratios) {
    lines.push(
      `| ${ratio.name} | ${ratio.numerator} / ${ratio.denominator} | ${fmtRatio(ratio.opsPerSecondRatio)} | ${fmtRatio(ratio.p50Ratio)} | ${fmtRatio(ratio.p99Ratio)} |`,
    );
  }
  const byKey = new Map(cells.map((cell) => [cellKey(cell.operation, cell.target, cell.concurrency), cell]));
  const lowest = Math.min(...concurrencies);
  const ping = byKey.get(cellKey('no-op', 'minisql gRPC', lowest));
  if (ping) {
    lines.push('', `Time added to a no-op RPC at c=${lowest} (p50 difference):`);
    for (const operation of ['point select', 'insert'] as const) {
      const cell = byKey.get(cellKey(operation, 'minisql gRPC', lowest));
      if (!cell) continue;
      const added = cell.latency.p50Ms - ping.latency.p50Ms;
      lines.push(
        `- ${operation}: ${added < 0 ? '-' : '+'}${fmtMs(Math.abs(added))} ms (${fmtMs(cell.latency.p50Ms)} vs ${fmtMs(ping.latency.p50Ms)}; within noise when small)`,
      );
    }
  }
  lines.push(
    '',
    '## CPU per operation',
    '',
    'CPU time divided by successful operations: less sensitive to a busy machine than ops/s. For better-sqlite3 the work is all in the bench process.',
    'Region ceiling = 1,000,000 / region CPU µs/op: the ops/s one fully busy region core would serve at that cost per operation, if the client kept up (an estimate, not a measurement).',
    '',
    '| operation | target | concurrency | region CPU µs/op | bench CPU µs/op | region ceiling ops/s |',
    '|---|---|---:|---:|---:|---:|',
  );
  for (const cell of cells) {
    const inProcess = cell.target === 'better-sqlite3';
    lines.push(
      `| ${cell.operation} | ${inProcess ? 'better-sqlite3 (in-process)' : cell.target} | ${inProcess ? '1 (only)' : cell.concurrency} | ` +
        `${inProcess ? 'n/a' : cell.regionCpuMicrosPerOp.toFixed(1)} | ${cell.benchCpuMicrosPerOp.toFixed(1)} | ` +
        `${inProcess ? 'n/a' : fmtInt(1e6 / cell.regionCpuMicrosPerOp)} |`,
    );
  }
  return lines.join('\n');
}

// ---- the run ----

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`region-bench: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const clock = clockTicksPerSecond();
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverage1mAtStart: loadavg()[0] ?? Number.NaN,
    clockTicksPerSecond: clock.ticks,
    clockTicksAssumed: clock.assumed,
  };
  log(
    `${machine.cpus} CPUs (${machine.cpuModel}), load ${machine.loadAverage1mAtStart.toFixed(2)}, node ${machine.node}, ` +
      `CLK_TCK ${clock.ticks}${clock.assumed ? ' (assumed)' : ''}; ${options.durationMs} ms per cell after ${options.warmupMs} ms warm-up`,
  );

  const regionDir = mkdtempSync(join(tmpdir(), 'minisql-bench-region-'));
  resources.dirs.push(regionDir);
  const sqliteDir = mkdtempSync(join(tmpdir(), 'minisql-bench-sqlite-'));
  resources.dirs.push(sqliteDir);

  log(`starting the region (${REGION_MAIN})`);
  const region = await ReadyProcess.start({
    script: REGION_MAIN,
    args: ['--id', 'bench', '--listen', '127.0.0.1:0', '--data-dir', regionDir],
    env: { ...process.env, MINISQL_LOG_LEVEL: 'warn' },
  });
  resources.region = region;
  const client = await MiniSqlClient.connect({ regionAddress: region.address });
  resources.client = client;
  log(`region pid ${region.pid} at ${region.address}; preloading ${options.rows} rows in statements of ${PRELOAD_BATCH_ROWS}`);

  const batches = preloadBatches(options.rows);
  await client.execute(CREATE_TABLE);
  for (const batch of batches) await client.execute(insertManySql(batch.count), { params: batch.params });
  const check = await client.execute(POINT_SELECT, { params: [options.rows] });
  if (check.rows.length !== 1) throw new Error(`preload check: id ${options.rows} returned ${check.rows.length} rows`);

  const sqlite = new Database(join(sqliteDir, 'bench.sqlite'));
  resources.sqlite = sqlite;
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec(SQLITE_CREATE_TABLE);
  sqlite.transaction(() => {
    // Each preload statement is its own transaction in the region; one here is enough.
    for (const batch of batches) sqlite.prepare(insertManySql(batch.count)).run(...batch.params);
  })();
  const sqliteSelect = sqlite.prepare(POINT_SELECT);
  const sqliteInsert = sqlite.prepare(INSERT_ONE);

  const randomId = (): number => 1 + Math.floor(Math.random() * options.rows);
  // Fresh ids for inserts; one counter per table, never reused across cells.
  let nextRegionId = options.rows + 1;
  let nextSqliteId = options.rows + 1;

  const grpcOps: Record<Operation, () => Promise<unknown>> = {
    'no-op': () => client.ping(),
    'point select': async () => {
      const result = await client.execute(POINT_SELECT, { params: [randomId()] });
      if (result.rows.length !== 1) throw new Error(`point select returned ${result.rows.length} rows`);
    },
    insert: () => client.execute(INSERT_ONE, { params: rowValues(nextRegionId++) }),
  };
  const sqliteOps: Record<Exclude<Operation, 'no-op'>, () => unknown> = {
    'point select': () => {
      if (sqliteSelect.get(randomId()) === undefined) throw new Error('point select returned no row');
    },
    insert: () => sqliteInsert.run(...rowValues(nextSqliteId++)),
  };

  if (options.initialWarmupMs > 0) {
    // grpc-js and the region take seconds of traffic to reach steady speed (JIT); without
    // this, the first cell (no-op c=1, the baseline of the ratios) would look slower.
    log(`initial warm-up: ${options.initialWarmupMs} ms of mixed gRPC operations, not recorded`);
    const mixed = [grpcOps['no-op'], grpcOps['point select'], grpcOps.insert];
    let turn = 0;
    const warm = await runClosedLoop(() => (mixed[turn++ % mixed.length] as () => Promise<unknown>)(), {
      concurrency: Math.max(...options.concurrency),
      warmupMs: 0,
      durationMs: options.initialWarmupMs,
      maxOps: options.maxOps,
      signal: interrupt.signal,
    });
    interrupt.signal.throwIfAborted();
    if (warm.errors > 0) throw new Error(`initial warm-up: ${warm.errors} operations failed; first: ${String(warm.firstError)}`);
  }

  const cells: CellResult[] = [];
  // Operations at one concurrency run back to back, so each ratio compares cells
  // measured close together in time.
  for (const concurrency of options.concurrency) {
    for (const operation of ['no-op', 'point select', 'insert'] as const) {
      cells.push(
        await measureCell(operation, 'minisql gRPC', concurrency, options, region.pid, clock.ticks, (loop) => runClosedLoop(grpcOps[operation], loop)),
      );
    }
  }
  for (const operation of ['point select', 'insert'] as const) {
    cells.push(await measureCell(operation, 'better-sqlite3', 1, options, region.pid, clock.ticks, (loop) => runSyncLoop(sqliteOps[operation], loop)));
  }

  const ratios = computeRatios(cells, options.concurrency);
  const notes = [
    `- ${options.durationMs} ms measured per cell after ${options.warmupMs} ms warm-up (and ${options.initialWarmupMs} ms of mixed gRPC load before the first cell); ${options.rows} rows preloaded; ${machine.cpus} CPUs, load ${machine.loadAverage1mAtStart.toFixed(2)} at start; node ${machine.node}.`,
    '- better-sqlite3 is synchronous, so concurrency does not apply: it is measured at concurrency 1 only, in this process. Its region columns (in parentheses) show the idle region.',
    `- region CPU % and RSS come from /proc/<pid>/stat and /proc/<pid>/status (CLK_TCK ${clock.ticks}${clock.assumed ? ', assumed: getconf failed' : ' from getconf'}); bench CPU % and RSS from process.cpuUsage() and process.memoryUsage.rss(); other CPU % is the machine's busy time (/proc/stat) minus both, i.e. everything else running. 100 % = one core; this machine has ${machine.cpus * 100} %.`,
    '- p50/p99: nearest-rank percentiles of per-operation latency (process.hrtime.bigint()).',
  ];
  if (cells.some((cell) => cell.capped)) notes.push(`- (capped): the cell stopped at --max-ops ${options.maxOps} before its time was up.`);
  const clientBound = cells.filter(
    (cell) =>
      cell.target === 'minisql gRPC' &&
      cell.concurrency > 1 &&
      (cell.bench.cpuPercent >= CLIENT_BOUND_CPU_PERCENT || cell.benchCpuMicrosPerOp > cell.regionCpuMicrosPerOp),
  );
  if (clientBound.length > 0) {
    notes.push(
      `- Client-heavy cells: ${clientBound.map((cell) => cellKey(cell.operation, cell.target, cell.concurrency)).join(', ')}. ` +
        `There the bench process used more CPU per operation than the region, or at least ${CLIENT_BOUND_CPU_PERCENT} % of a core; its JavaScript runs on one thread, ` +
        'so their ops/s is bounded by the client side of gRPC as much as by the region. See "region ceiling" under CPU per operation.',
    );
  }
  if (cells.some((cell) => cell.errors > 0)) notes.push('- Some operations failed; see the errors column and the first error in the progress log.');
  process.stdout.write(`## Region benchmark\n\n${resultsTable(cells)}\n\n${notes.join('\n')}\n\n${ratiosSection(cells, ratios, options.concurrency)}\n`);

  if (options.json !== undefined) {
    const report = { generatedAt: new Date().toISOString(), machine, options, cells, ratios };
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
}

try {
  await main();
} catch (error) {
  if (interrupt.signal.aborted) {
    process.exitCode = 130; // the signal handler finishes the clean-up and exits
  } else {
    const tail = resources.region?.logTail;
    console.error(`region-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${tail ? `\nregion log tail:\n${tail}` : ''}`);
    process.exitCode = 1;
  }
} finally {
  await cleanUp();
}
