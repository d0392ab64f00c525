/**
 * minisql beside etcd and the RPC floor, in one run on this machine (not a test):
 * - minisql: the local cluster layout (etcd, a master, a primary/replica pair), through
 *   the cluster client, every write replicated, durable (the default: every commit synced);
 * - minisql fast: the same with `durability: fast` (synced at checkpoints only), for the
 *   write workloads, so the price of the durable default is measured in the same run;
 * - minisql plaintext: the same with `tls: false` (no TLS, no logins), for insert and
 *   point select, so the price of TLS and authentication is measured in the same run;
 * - etcd: a three-member etcd (Debian's etcd-server) through the etcd3 client, as a
 *   replicated key-value store;
 * - minisql literal: the same statements with their values written in the text
 *   (`select * from kv where k = 4711;`), as the REPL, scripts and most applications send;
 * - PostgreSQL 15 (postgres-pair.ts): a primary and a synchronous standby on loopback,
 *   fsync on, through node-postgres, with named prepared statements (`postgres`) and with
 *   literal text over the simple query protocol (`postgres literal`); skipped, with a
 *   note, where PostgreSQL is not installed (scripts/install-postgres.sh installs it);
 * - the RPC floor: a process serving the RegionService contract with no work behind it
 *   (noop-region-server.ts), driven with a statement on the statement stream, as the
 *   client library sends every statement, and with a unary Ping call.
 * The same closed-loop workloads at concurrency 1, 8, 32 and 128: single-row insert,
 * point select, update by key, a 100-row range scan, and 90 % reads / 10 % writes. It
 * prints throughput, p50/p99/p99.9 latency, the CPU and memory of every process, the
 * ratios minisql/etcd and minisql/no-op (stream and call), then the resident memory of a region holding a
 * table of a million rows; it writes an SVG plot of throughput against concurrency.
 *   node packages/cluster/dist/bench/compare-bench.js [--duration-ms 2000] [--out DIR]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Etcd3 } from 'etcd3';
import pg from 'pg';
import { RegionTransport, type ClusterClient } from '@minisql/client';
import { loadClusterConfig, ReadyProcess } from '@minisql/common';
import { runClosedLoop } from '@minisql/region/bench/closed-loop.js';
import { summarizeLatencies } from '@minisql/region/bench/latency-stats.js';
import {
  clockTicksPerSecond,
  sampleOtherProcess,
  sampleSteal,
  sampleThisProcess,
  stealPercent,
  usageDelta,
  type StealSample,
  type UsageSample,
} from '@minisql/region/bench/process-usage.js';
import { LocalCluster } from '../src/local-cluster.js';
import { freePort, TestCluster } from '../test/support/test-cluster.js';
import { throughputSvg, type Panel } from './svg-plot.js';
import { POSTGRES_SETTINGS, postgresAvailable, startPostgresPair, type PostgresPair } from './postgres-pair.js';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string' },
    rounds: { type: 'string' },
    'warmup-ms': { type: 'string' },
    'first-warmup-ms': { type: 'string' },
    rows: { type: 'string' },
    concurrency: { type: 'string' },
    workloads: { type: 'string' },
    'million-rows': { type: 'string' },
    'memory-only': { type: 'boolean' },
    'no-postgres': { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: compare-bench [--duration-ms 3000] [--rounds 12] [--warmup-ms 150] [--first-warmup-ms 3000] [--rows 10000] [--concurrency 1,8,32,128] [--workloads insert,select,update,scan,mix] [--million-rows 1000000] [--memory-only] [--no-postgres] [--out .minisql/bench]',
  );
  process.exit(0);
}
const DURATION_MS = Number(values['duration-ms'] ?? 3_000);
/**
 * A cell's measured time is cut into this many rounds, and the systems compared at one
 * workload and concurrency take their rounds in turn (minisql, minisql literal,
 * PostgreSQL, ..., then minisql again): what drifts on a shared machine over the seconds
 * of a comparison (a collector's pause, another process, the CPU's state) falls on every
 * system alike instead of on whichever ran at that moment. Measured before: minisql with
 * literals against `?`, the same work on the region, 0.76-1.20x over nine runs of one
 * 2-second cell each; in alternating rounds in one process, within 5 %. With 3 rounds
 * the same twins still came out 0.84-0.86x in three runs of eleven, each time in a cell
 * whose other contenders moved as much (the disk's fsync time for inserts, the machine's
 * neighbours): 6 shorter rounds spread such a spell over every system. Then 12: one
 * system's rounds in one cell still moved by a third from one to the next (a point select
 * at 8 clients, 13,600-22,700 a second, the region's CPU a statement 29-41 µs for the
 * same work; compare.json keeps each cell's rounds), so a ratio of two systems needs many
 * neighbouring pairs to settle.
 */
const ROUNDS = Math.max(1, Math.floor(Number(values.rounds ?? 12)));
/**
 * Untimed time before each round. 150 ms, not the 500 it was: a closed loop is at its
 * pace within a few round trips (the first warm-up has compiled the code), and what a
 * system's round leaves behind falls on every system alike in interleaved rounds. At
 * 500 ms the warm-ups took 60 % of a cell's time; 12 rounds of 250 ms after 150 ms each
 * measure 3 s in the time 6 rounds measured 2, and each pair of neighbouring rounds
 * (literal against `?`) is closer in time.
 */
const WARMUP_MS = Number(values['warmup-ms'] ?? 150);
/** Each system's operations run this long, untimed, before any cell is measured (see warmUp). */
const FIRST_WARMUP_MS = Number(values['first-warmup-ms'] ?? 3_000);
/** Clients of the first warm-up: enough that frames of several statements are compiled too. */
const FIRST_WARMUP_CONCURRENCY = 8;
const ROWS = Number(values.rows ?? 10_000);
const CONCURRENCY = values['memory-only'] ? [] : (values.concurrency ?? '1,8,32,128').split(',').map(Number);
const MILLION = Number(values['million-rows'] ?? 1_000_000);
const OUT = values.out ?? join(process.cwd(), '.minisql', 'bench');
const OPS_MAX = 2_000_000;
const VALUE = 'v'.repeat(32);
const RANGE_ROWS = 100;

const ALL_WORKLOADS = ['insert', 'point select', 'update', 'range scan (100 rows)', 'mix 90/10'] as const;
type Workload = (typeof ALL_WORKLOADS)[number];
/** `--workloads` names each workload by its first word: insert, point, select, update, range, scan, mix. */
const WORKLOADS = selectWorkloads(values.workloads);
type System = 'minisql' | 'minisql literal' | 'minisql fast' | 'minisql plaintext' | 'postgres' | 'postgres literal' | 'etcd' | 'no-op stream' | 'no-op call';
/** Workloads also measured on a cluster with `durability: fast`: those that write. */
const FAST_WORKLOADS: readonly Workload[] = ['insert', 'update'];
/** Workloads also measured on a cluster with `tls: false`, for the price of TLS and logins. */
const PLAINTEXT_WORKLOADS: readonly Workload[] = ['insert', 'point select'];

function selectWorkloads(list: string | undefined): Workload[] {
  if (list === undefined) return [...ALL_WORKLOADS];
  const wanted = list.split(',').map((name) => name.trim().toLowerCase());
  const unknown = wanted.filter((name) => !ALL_WORKLOADS.some((w) => w.split(/[ (]/).includes(name)));
  if (unknown.length > 0) {
    console.error(`compare-bench: unknown workload ${unknown.join(', ')} in --workloads (known: insert, select, update, scan, mix)`);
    process.exit(2);
  }
  return ALL_WORKLOADS.filter((w) => wanted.some((name) => w.split(/[ (]/).includes(name)));
}

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const key = (i: number): string => `k${String(i).padStart(9, '0')}`;
const randomRow = (): number => Math.floor(Math.random() * ROWS);

interface Cell {
  workload: Workload | 'no-op';
  system: System;
  concurrency: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  processes: Array<{ name: string; cpuPercent: number; rssMb: number }>;
  /** Percent of the machine's CPU time the hypervisor took (steal) over the cell's rounds. */
  stealPercent: number;
  /**
   * The rounds behind the cell, in the order they ran: how much a system moved from
   * round to round, and whether a ratio came from every round or from one spell.
   */
  rounds: Array<{ opsPerSecond: number; seconds: number; stealPercent: number; cpuMicrosecondsPerOp: Record<string, number> }>;
}

type Pids = Array<{ name: string; pid: number }>;

/**
 * Runs every operation of every system once for FIRST_WARMUP_MS, untimed, before the
 * first measured cell. V8 compiles a function once it is hot, on both ends of a minisql
 * statement, and the first cell of a system otherwise measures that compilation: a point
 * select at one client took 0.41-0.48 ms p50 in its first two seconds against 0.30-0.32
 * ms after, in the same processes. The 500 ms warm-up of each cell is too short for it.
 */
async function warmUp(systems: Record<string, Partial<Record<Workload, () => Promise<unknown>>> | undefined>): Promise<void> {
  for (const [system, ops] of Object.entries(systems)) {
    for (const workload of WORKLOADS) {
      const op = ops?.[workload];
      if (!op || FIRST_WARMUP_MS <= 0) continue;
      progress(`warm-up: ${system} ${workload}`);
      await runClosedLoop(op, { concurrency: FIRST_WARMUP_CONCURRENCY, warmupMs: 0, durationMs: FIRST_WARMUP_MS, maxOps: OPS_MAX });
    }
  }
}

/** One round of one system's cell: what the closed loop measured, and each process's CPU over it. */
interface CellRound {
  ops: number;
  errors: number;
  elapsedNs: number;
  /** A copy: the loop's own buffer is reused by the next round. */
  latenciesNs: Float64Array;
  processes: Array<{ name: string; cpuSeconds: number; wallSeconds: number; rssMb: number }>;
  stealPercent: number;
}

/** One system to measure at a workload and concurrency. */
interface Contender {
  system: System;
  op: () => Promise<unknown>;
  processes: Pids | (() => Pids);
}

/**
 * A full collection of the bench's own heap. The load generator is one Node process
 * driving every system: a major collection of its heap (hundreds of MB, tens of
 * milliseconds here) fell inside whichever system's round was running, as a p99.9 of
 * 55 ms in one round of a system whose others stayed under 15. Each round starts after
 * one, so none inherits the garbage of the rounds before it.
 */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

async function measureRound(contender: Contender, label: string, concurrency: number, ticks: number, durationMs: number): Promise<CellRound> {
  progress(label);
  collectGarbage();
  let before: Array<UsageSample | undefined> = [];
  let after: Array<UsageSample | undefined> = [];
  // Listed when the measurement starts: PostgreSQL's backends exist only once connected.
  let pids: Pids = [];
  const sample = () => [...pids.map(({ pid }) => sampleIfRunning(pid, ticks)), sampleThisProcess()];
  let [stealBefore, stealAfter]: Array<StealSample | undefined> = [];
  const result = await runClosedLoop(contender.op, {
    concurrency,
    warmupMs: WARMUP_MS,
    durationMs,
    maxOps: OPS_MAX,
    onMeasureStart: () => {
      pids = typeof contender.processes === 'function' ? contender.processes() : contender.processes;
      before = sample();
      stealBefore = sampleSteal(ticks);
    },
    onMeasureEnd: () => {
      after = sample();
      stealAfter = sampleSteal(ticks);
    },
  });
  const names = [...pids.map(({ name }) => name), 'bench'];
  return {
    ops: result.ops,
    errors: result.errors,
    elapsedNs: result.elapsedNs,
    latenciesNs: result.latenciesNs.slice(),
    stealPercent: stealPercent(stealBefore, stealAfter),
    processes: names.map((name, i) => {
      const [from, to] = [before[i], after[i]];
      // A process that ended during the round (a PostgreSQL worker) counts nothing.
      if (from === undefined || to === undefined) return { name, cpuSeconds: 0, wallSeconds: 0, rssMb: 0 };
      const delta = usageDelta(from, to);
      return { name, cpuSeconds: delta.cpuSeconds, wallSeconds: Number(to.wallNs - from.wallNs) / 1e9, rssMb: delta.rssAfterMb };
    }),
  };
}

/**
 * A process's usage, or undefined when it has ended: PostgreSQL starts and ends workers of
 * its own (autovacuum, a backend whose connection closed) between two samples.
 */
function sampleIfRunning(pid: number, ticks: number): UsageSample | undefined {
  try {
    return sampleOtherProcess(pid, ticks);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
}

/**
 * Measures each contender at one workload and concurrency in ROUNDS interleaved rounds of
 * DURATION_MS / ROUNDS each, and makes one cell of each contender's rounds: operations
 * over the time measured, percentiles of all latencies, CPU over the time measured.
 */
async function measureTogether(workload: Cell['workload'], concurrency: number, contenders: readonly Contender[], ticks: number): Promise<Cell[]> {
  const rounds = contenders.map((): CellRound[] => []);
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Every other round in reverse order: a contender measured right after another
    // system's round (etcd's, PostgreSQL's) meets what that system left running (its
    // flushes, its compaction). In turn forward and back, each is measured after its
    // neighbours in the list (minisql after minisql literal, PostgreSQL after PostgreSQL
    // literal) or after itself, not always after the same stranger.
    for (let turn = 0; turn < contenders.length; turn += 1) {
      const i = round % 2 === 1 ? turn : contenders.length - 1 - turn;
      const contender = contenders[i] as Contender;
      const label = `${contender.system} ${workload} c=${concurrency}${ROUNDS > 1 ? ` (round ${round} of ${ROUNDS})` : ''}`;
      rounds[i]?.push(await measureRound(contender, label, concurrency, ticks, DURATION_MS / ROUNDS));
    }
  }
  return contenders.map((contender, i) => cellOf(workload, contender.system, concurrency, rounds[i] ?? []));
}

function cellOf(workload: Cell['workload'], system: System, concurrency: number, rounds: readonly CellRound[]): Cell {
  const sum = (of: (round: CellRound) => number) => rounds.reduce((total, round) => total + of(round), 0);
  const latencies = new Float64Array(sum((round) => round.latenciesNs.length));
  let at = 0;
  for (const round of rounds) {
    latencies.set(round.latenciesNs, at);
    at += round.latenciesNs.length;
  }
  const latency = summarizeLatencies(latencies);
  const names = [...new Set(rounds.flatMap((round) => round.processes.map((p) => p.name)))];
  const elapsedNs = sum((round) => round.elapsedNs);
  return {
    workload,
    system,
    concurrency,
    opsPerSecond: sum((round) => round.ops) / (elapsedNs / 1e9),
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    p999Ms: latency.p999Ms,
    errors: sum((round) => round.errors),
    // Weighted by each round's time, as the cell's throughput is.
    stealPercent: sum((round) => round.stealPercent * round.elapsedNs) / Math.max(1, elapsedNs),
    // A process's CPU over the time it was measured, its memory as the last round left it;
    // processes of one name (PostgreSQL's backends) as one line, summed.
    processes: names.map((name) => {
      const of = rounds.map((round) => round.processes.filter((p) => p.name === name));
      const cpuSeconds = of.flat().reduce((total, p) => total + p.cpuSeconds, 0);
      const wallSeconds = of.reduce((total, ps) => total + Math.max(0, ...ps.map((p) => p.wallSeconds)), 0);
      return {
        name,
        cpuPercent: wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : Number.NaN,
        rssMb: (of.at(-1) ?? []).reduce((total, p) => total + p.rssMb, 0),
      };
    }),
    rounds: rounds.map((round) => ({
      opsPerSecond: round.ops / (round.elapsedNs / 1e9),
      seconds: round.elapsedNs / 1e9,
      stealPercent: round.stealPercent,
      cpuMicrosecondsPerOp: Object.fromEntries(
        names.map((name) => [
          name,
          (1e6 * round.processes.filter((p) => p.name === name).reduce((total, p) => total + p.cpuSeconds, 0)) / Math.max(1, round.ops),
        ]),
      ),
    })),
  };
}

/** Three etcd members on loopback, from a generated configuration. */
async function startEtcdCluster(dir: string): Promise<{ cluster: LocalCluster; etcd: Etcd3 }> {
  const hosts = [];
  for (let i = 0; i < 3; i += 1) {
    hosts.push(`  - { name: kv${i}, ip: 127.0.0.1, roles: [etcd], ports: { etcdClient: ${await freePort()}, etcdPeer: ${await freePort()} } }`);
  }
  const path = join(dir, 'etcd-baseline.yaml');
  writeFileSync(path, [`dataDir: ${join(dir, 'etcd-baseline')}`, 'hosts:', ...hosts].join('\n'));
  const config = loadClusterConfig(path);
  const cluster = new LocalCluster({ config, configPath: path });
  await cluster.start();
  return { cluster, etcd: cluster.etcdAdmin() };
}

function minisqlOps(client: ClusterClient): Record<Workload, () => Promise<unknown>> {
  let next = ROWS;
  const select = () => client.execute('select * from kv where k = ?;', { params: [randomRow()] });
  const update = () => client.execute('update kv set v = ? where k = ?;', { params: [VALUE, randomRow()] });
  return {
    insert: () => client.execute('insert into kv values (?, ?);', { params: [next++, VALUE] }),
    'point select': select,
    update,
    'range scan (100 rows)': () => {
      const from = Math.floor(Math.random() * (ROWS - RANGE_ROWS));
      return client.execute('select * from kv where k between ? and ?;', { params: [from, from + RANGE_ROWS - 1] });
    },
    'mix 90/10': () => (Math.random() < 0.9 ? select() : update()),
  };
}

/** The same statements with their values in the text: every text differs, as applications send them. */
function minisqlLiteralOps(client: ClusterClient): Partial<Record<Workload, () => Promise<unknown>>> {
  let next = ROWS + 50_000_000;
  return {
    insert: () => client.execute(`insert into kv values (${next++}, '${VALUE}');`),
    'point select': () => client.execute(`select * from kv where k = ${randomRow()};`),
    update: () => client.execute(`update kv set v = '${VALUE}' where k = ${randomRow()};`),
  };
}

/** PostgreSQL with named prepared statements (`literal` false) or literal text over the simple query protocol. */
function postgresOps(pool: pg.Pool, literal: boolean): Partial<Record<Workload, () => Promise<unknown>>> {
  let next = ROWS + (literal ? 90_000_000 : 70_000_000);
  const select = () =>
    literal
      ? pool.query(`select * from kv where k = ${randomRow()}`)
      : pool.query({ name: 'select', text: 'select * from kv where k = $1', values: [randomRow()] });
  const update = () =>
    literal
      ? pool.query(`update kv set v = '${VALUE}' where k = ${randomRow()}`)
      : pool.query({ name: 'update', text: 'update kv set v = $1 where k = $2', values: [VALUE, randomRow()] });
  const insert = () =>
    literal
      ? pool.query(`insert into kv values (${next++}, '${VALUE}')`)
      : pool.query({ name: 'insert', text: 'insert into kv values ($1, $2)', values: [next++, VALUE] });
  if (literal) return { insert, 'point select': select, update };
  return {
    insert,
    'point select': select,
    update,
    'range scan (100 rows)': () => {
      const from = Math.floor(Math.random() * (ROWS - RANGE_ROWS));
      return pool.query({ name: 'range', text: 'select * from kv where k between $1 and $2', values: [from, from + RANGE_ROWS - 1] });
    },
    'mix 90/10': () => (Math.random() < 0.9 ? select() : update()),
  };
}

/** The PostgreSQL pair with `kv` loaded, a pool for the load, and its processes (postmasters and their children). */
async function startPostgres(): Promise<{ pair: PostgresPair; pool: pg.Pool; pids: () => Pids } | undefined> {
  if (values['no-postgres']) return undefined;
  if (!postgresAvailable()) {
    progress('PostgreSQL 15 is not installed: measuring without it (scripts/install-postgres.sh installs it)');
    return undefined;
  }
  const pair = await startPostgresPair(await freePort(), await freePort());
  // Connections stay open between cells (node-postgres closes one idle for 10 s by
  // default): a cell then measures queries, not PostgreSQL starting backends.
  const pool = new pg.Pool({ ...pair.primary, max: Math.max(...CONCURRENCY, 1), idleTimeoutMillis: 0 });
  await pool.query('create table kv (k int primary key, v text)');
  await pool.query(`insert into kv select g, '${VALUE}' from generate_series(0, ${ROWS - 1}) g`);
  await pool.query('vacuum analyze kv');
  const pids = (): Pids =>
    (['primary', 'standby'] as const).flatMap((role) => {
      const postmaster = Number(readFileSync(join(pair.dataDir, role, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
      return [postmaster, ...children].map((pid) => ({ name: `postgres ${role}`, pid }));
    });
  return { pair, pool, pids };
}

function etcdOps(etcd: Etcd3): Record<Workload, () => Promise<unknown>> {
  let next = ROWS;
  const get = () => etcd.get(key(randomRow())).string();
  const put = () => etcd.put(key(randomRow())).value(VALUE).exec();
  return {
    insert: () => etcd.put(key(next++)).value(VALUE).exec(),
    'point select': get,
    update: put,
    'range scan (100 rows)': () => {
      const from = Math.floor(Math.random() * (ROWS - RANGE_ROWS));
      return etcd
        .getAll()
        .inRange({ start: key(from), end: key(from + RANGE_ROWS) })
        .strings();
    },
    'mix 90/10': () => (Math.random() < 0.9 ? get() : put()),
  };
}

/**
 * CPU time per operation, in microseconds, of the system's own processes and of the bench
 * (the client side): steadier than ops/s on a shared machine, and it says which side an
 * operation costs.
 */
function cpuMicrosPerOp(cell: Cell): { servers: number; bench: number } {
  const micros = (percent: number) => (percent / 100) * (1e6 / cell.opsPerSecond);
  const servers = cell.processes.filter((p) => p.name !== 'bench').reduce((sum, p) => sum + p.cpuPercent, 0);
  return { servers: micros(servers), bench: micros(cell.processes.find((p) => p.name === 'bench')?.cpuPercent ?? 0) };
}

/**
 * Above this share of the machine's CPU time taken by the hypervisor, a run's ratios say
 * more about the host than about the systems: a spell of steal halves whichever round it
 * falls in, and rounds of two systems side by side still land in it unequally.
 */
const STEAL_WARN_PERCENT = 10;

/** How much of the machine the host took over the run, and where. */
function stealSummary(cells: readonly Cell[]): string {
  const rounds = cells.flatMap((cell) => cell.rounds).filter((round) => Number.isFinite(round.stealPercent));
  if (rounds.length === 0) return 'Host steal: not measured.';
  // Weighted by each round's time, as each cell's figure is.
  const measuredSeconds = rounds.reduce((total, round) => total + round.seconds, 0);
  const mean = rounds.reduce((total, round) => total + round.stealPercent * round.seconds, 0) / Math.max(1e-9, measuredSeconds);
  const worst = Math.max(...rounds.map((round) => round.stealPercent));
  const spells = rounds.filter((round) => round.stealPercent > STEAL_WARN_PERCENT).length;
  const line = `Host steal (CPU time the hypervisor gave to other guests, /proc/stat): ${mean.toFixed(1)} % of this machine's CPU time over the measured rounds, at most ${worst.toFixed(0)} % in one; over ${STEAL_WARN_PERCENT} % in ${spells} of ${rounds.length} rounds.`;
  return mean > STEAL_WARN_PERCENT ? `${line} The host was busy: ratios of this run measure it as much as the systems; run again when it is quiet.` : line;
}

function table(cells: Cell[]): string {
  const lines = [
    '| workload | system | c | ops/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/op | bench CPU µs/op | host steal % | CPU % by process | RSS MB by process |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const c of cells) {
    const cpu = c.processes.map((p) => `${p.name} ${p.cpuPercent.toFixed(0)}`).join(', ');
    const rss = c.processes.map((p) => `${p.name} ${p.rssMb.toFixed(0)}`).join(', ');
    const perOp = cpuMicrosPerOp(c);
    lines.push(
      `| ${c.workload} | ${c.system} | ${c.concurrency} | ${Math.round(c.opsPerSecond).toLocaleString('en')} | ${c.p50Ms.toFixed(2)} | ${c.p99Ms.toFixed(2)} | ${c.p999Ms.toFixed(2)} | ${c.errors} | ${perOp.servers.toFixed(0)} | ${perOp.bench.toFixed(0)} | ${c.stealPercent.toFixed(0)} | ${cpu} | ${rss} |`,
    );
  }
  return lines.join('\n');
}

/** A minisql cluster of the local layout with the `kv` table loaded; its client and process ids. */
async function startMinisql(durability: 'durable' | 'fast', tls = true): Promise<{ cluster: TestCluster; client: ClusterClient }> {
  const cluster = await TestCluster.start({ regions: 2, leaseTtlSeconds: 2, durability, tls });
  await cluster.waitForStatus('a replica group', (s) => s.groups[0]?.in_sync.length === 1);
  const client = await cluster.client();
  await client.execute('create table kv (k int primary key, v text);');
  for (let i = 0; i < ROWS; i += 500) {
    const rows = Array.from({ length: Math.min(500, ROWS - i) }, (_, r) => `(${i + r}, '${VALUE}')`).join(', ');
    await client.execute(`insert into kv values ${rows};`);
  }
  return { cluster, client };
}

function pidsOf(cluster: TestCluster, suffix = ''): Array<{ name: string; pid: number }> {
  return cluster.cluster
    .list()
    .filter((p) => p.pid !== undefined)
    .map((p) => ({ name: `${p.name}${suffix}`, pid: p.pid as number }));
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const ticks = clockTicksPerSecond().ticks;
  progress('starting the minisql cluster (durable), one with durability: fast, a three-member etcd and the no-op server');
  const { cluster: minisql, client } = await startMinisql('durable');
  const fastWorkloads = WORKLOADS.filter((w) => FAST_WORKLOADS.includes(w));
  const fast = fastWorkloads.length > 0 && CONCURRENCY.length > 0 ? await startMinisql('fast') : undefined;
  const plaintextWorkloads = WORKLOADS.filter((w) => PLAINTEXT_WORKLOADS.includes(w));
  const plaintext = plaintextWorkloads.length > 0 && CONCURRENCY.length > 0 ? await startMinisql('durable', false) : undefined;
  const baseline = await startEtcdCluster(minisql.dir);
  const { etcd } = baseline;
  const noopServer = await ReadyProcess.start({ script: fileURLToPath(new URL('./noop-region-server.js', import.meta.url)) });
  const postgres = CONCURRENCY.length > 0 ? await startPostgres() : undefined;
  const cleanup = async () => {
    await postgres?.pool.end().catch(() => undefined);
    postgres?.pair.stop();
    await noopServer.stop();
    etcd.close();
    await baseline.cluster.stop();
    await fast?.cluster.stop();
    await plaintext?.cluster.stop();
    await minisql.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    for (let i = 0; i < ROWS; i += 200)
      await Promise.all(
        Array.from({ length: Math.min(200, ROWS - i) }, (_, r) =>
          etcd
            .put(key(i + r))
            .value(VALUE)
            .exec(),
        ),
      );
    const minisqlPids = pidsOf(minisql);
    const fastPids = fast ? pidsOf(fast.cluster, ' (fast)') : [];
    const plaintextPids = plaintext ? pidsOf(plaintext.cluster, ' (plaintext)') : [];
    const etcdPids = baseline.cluster.list().map((p) => ({ name: p.name, pid: p.pid as number }));
    const noop = new RegionTransport(noopServer.address);
    const noopPid = [{ name: 'no-op server', pid: noopServer.pid }];

    const ops = {
      minisql: minisqlOps(client),
      literal: minisqlLiteralOps(client),
      fast: fast ? minisqlOps(fast.client) : undefined,
      plaintext: plaintext ? minisqlOps(plaintext.client) : undefined,
      etcd: etcdOps(etcd),
    };
    const pgOps = postgres ? { prepared: postgresOps(postgres.pool, false), literal: postgresOps(postgres.pool, true) } : undefined;
    const noopOps = {
      stream: () => noop.execute({ sql: 'select 1;', params: [], request_id: '', epoch: 0 }, 10_000),
      call: () => noop.ping(10_000),
    };
    await warmUp({
      ...ops,
      postgres: pgOps?.prepared,
      'postgres literal': pgOps?.literal,
      // The no-op server has one operation: warmed once, under the first workload's name.
      'no-op stream': { [WORKLOADS[0] as Workload]: noopOps.stream },
      'no-op call': { [WORKLOADS[0] as Workload]: noopOps.call },
    });
    const cells: Cell[] = [];
    for (const concurrency of CONCURRENCY) {
      const floors: Contender[] = [
        { system: 'no-op stream', op: noopOps.stream, processes: noopPid },
        { system: 'no-op call', op: noopOps.call, processes: noopPid },
      ];
      cells.push(...(await measureTogether('no-op', concurrency, floors, ticks)));
    }
    for (const workload of WORKLOADS) {
      for (const concurrency of CONCURRENCY) {
        const contenders: Contender[] = [{ system: 'minisql', op: ops.minisql[workload], processes: minisqlPids }];
        const literal = ops.literal[workload];
        if (literal) contenders.push({ system: 'minisql literal', op: literal, processes: minisqlPids });
        const prepared = pgOps?.prepared[workload];
        if (postgres && prepared) contenders.push({ system: 'postgres', op: prepared, processes: postgres.pids });
        const pgLiteral = pgOps?.literal[workload];
        if (postgres && pgLiteral) contenders.push({ system: 'postgres literal', op: pgLiteral, processes: postgres.pids });
        if (ops.fast && fastWorkloads.includes(workload)) contenders.push({ system: 'minisql fast', op: ops.fast[workload], processes: fastPids });
        if (ops.plaintext && plaintextWorkloads.includes(workload))
          contenders.push({ system: 'minisql plaintext', op: ops.plaintext[workload], processes: plaintextPids });
        contenders.push({ system: 'etcd', op: ops.etcd[workload], processes: etcdPids });
        cells.push(...(await measureTogether(workload, concurrency, contenders, ticks)));
      }
    }
    noop.close();

    const find = (w: Cell['workload'], s: System, c: number) => cells.find((x) => x.workload === w && x.system === s && x.concurrency === c);
    const ratios = WORKLOADS.flatMap((workload) =>
      CONCURRENCY.map((c) => {
        const m = find(workload, 'minisql', c)?.opsPerSecond ?? NaN;
        const over = (system: System) => m / (find(system === 'etcd' ? workload : 'no-op', system, c)?.opsPerSecond ?? NaN);
        const durableOverFast = m / (find(workload, 'minisql fast', c)?.opsPerSecond ?? NaN);
        const secureOverPlaintext = m / (find(workload, 'minisql plaintext', c)?.opsPerSecond ?? NaN);
        const literal = find(workload, 'minisql literal', c)?.opsPerSecond ?? NaN;
        const postgresPrepared = find(workload, 'postgres', c)?.opsPerSecond ?? NaN;
        return {
          workload,
          concurrency: c,
          minisqlOverEtcd: over('etcd'),
          minisqlOverNoopStream: over('no-op stream'),
          minisqlOverNoopCall: over('no-op call'),
          durableOverFast,
          secureOverPlaintext,
          minisqlOverPostgres: m / postgresPrepared,
          literalOverPostgres: literal / postgresPrepared,
          literalOverParameterised: literal / m,
        };
      }),
    );

    let millionRssMb: number | undefined;
    if (MILLION > 0) {
      progress(`loading ${MILLION.toLocaleString('en')} rows to measure a region's memory`);
      await client.execute('create table million (k int primary key, v text);');
      for (let i = 0; i < MILLION; i += 2_000) {
        const rows = Array.from({ length: Math.min(2_000, MILLION - i) }, (_, r) => `(${i + r}, '${VALUE}')`).join(', ');
        await client.execute(`insert into million values ${rows};`);
        if (i % 100_000 === 0) progress(`million: ${i.toLocaleString('en')}`);
      }
      await client.execute('select count(*) from million;');
      await client.execute('select * from million where k = 999999;');
      const holder = (await client.clusterStatus()).groups.find((g) => g.tables.includes('million'))?.primary as string;
      const holderPid = minisqlPids.find((p) => p.name === holder)?.pid as number;
      millionRssMb = sampleOtherProcess(holderPid, ticks).rssBytes / (1024 * 1024);
    }

    console.log(
      `# minisql beside PostgreSQL, etcd and the RPC floor (${DURATION_MS} ms per cell in ${ROUNDS} rounds taken in turn by the systems compared, each after ${WARMUP_MS} ms warm-up, ${ROWS.toLocaleString('en')} rows, 2 CPUs)\n`,
    );
    console.log(table(cells));
    if (postgres) console.log(`\n(${POSTGRES_SETTINGS})`);
    console.log(
      '\n| workload | c | minisql / etcd | minisql / no-op stream | minisql / no-op call | durable / fast | TLS / plaintext | minisql / postgres (both prepared) | minisql literal / postgres prepared | minisql literal / minisql ? |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    const times = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(2)}×`);
    for (const r of ratios) {
      console.log(
        `| ${r.workload} | ${r.concurrency} | ${times(r.minisqlOverEtcd)} | ${times(r.minisqlOverNoopStream)} | ${times(r.minisqlOverNoopCall)} | ${times(r.durableOverFast)} | ${times(r.secureOverPlaintext)} | ${times(r.minisqlOverPostgres)} | ${times(r.literalOverPostgres)} | ${times(r.literalOverParameterised)} |`,
      );
    }
    const insert32 = ratios.find((r) => r.workload === 'insert' && r.concurrency === 32);
    const select32 = ratios.find((r) => r.workload === 'point select' && r.concurrency === 32);
    /** The least share of the parameterised statement's rate a literal one must reach (literal within 10 %). */
    const LITERAL_SHARE_MIN = 0.9;
    // The same ratio round by round: each literal round against the `?` round beside it,
    // to show whether the cell's ratio came from every round or from a spell of a few.
    const pairedRounds = (workload: Cell['workload'], concurrency: number): string => {
      const [parameterised, literal] = [find(workload, 'minisql', concurrency), find(workload, 'minisql literal', concurrency)];
      if (!parameterised || !literal || parameterised.rounds.length < 2) return '';
      const pairs = literal.rounds.map((round, i) => round.opsPerSecond / (parameterised.rounds[i]?.opsPerSecond ?? Number.NaN)).sort((a, b) => a - b);
      const median = pairs[Math.floor(pairs.length / 2)] ?? Number.NaN;
      const under = pairs.filter((ratio) => ratio < LITERAL_SHARE_MIN).length;
      const steal = `host steal ${literal.stealPercent.toFixed(0)} % in the literal rounds, ${parameterised.stealPercent.toFixed(0)} % in the \`?\` ones`;
      return ` (round by round: median ${median.toFixed(2)}×, ${pairs[0]?.toFixed(2)}-${pairs.at(-1)?.toFixed(2)}×, under ${LITERAL_SHARE_MIN}× in ${under} of ${pairs.length}; ${steal})`;
    };
    const verdict = (value: number | undefined, met: (v: number) => boolean, shown: (v: number) => string) =>
      value === undefined || Number.isNaN(value) ? 'not measured (c=32 not in --concurrency)' : `${shown(value)} — ${met(value) ? 'met' : 'not met'}`;
    console.log(`\n${stealSummary(cells)}`);
    console.log('\nTargets:');
    console.log(
      `- replicated insert at c=32 at least etcd's put (durable, as etcd syncs too): ${verdict(
        insert32?.minisqlOverEtcd,
        (v) => v >= 1,
        (v) => `${v.toFixed(2)}×`,
      )}`,
    );
    const fastInsert32 = find('insert', 'minisql fast', 32)?.opsPerSecond;
    console.log(
      `- the durable default against durability: fast, insert at c=32: ${insert32 === undefined || fastInsert32 === undefined ? 'not measured' : `${times(insert32.durableOverFast)} of fast (${Math.round(fastInsert32).toLocaleString('en')} ops/s fast)`}`,
    );
    for (const r of ratios.filter((x) => x.concurrency === 32 && !Number.isNaN(x.secureOverPlaintext))) {
      console.log(
        `- ${r.workload} at c=32 with TLS and logins (the default) at most 15% slower than tls: false: ${verdict(
          r.secureOverPlaintext,
          (v) => v >= 0.85,
          (v) => `${v.toFixed(2)}× of plaintext`,
        )}`,
      );
    }
    console.log(
      `- point select at c=32 above etcd's get: ${verdict(
        select32?.minisqlOverEtcd,
        (v) => v > 1,
        (v) => `${v.toFixed(2)}×`,
      )}`,
    );
    const ofNoop = (v: number) => `${(v * 100).toFixed(0)}%`;
    const atLeast60 = (v: number) => v >= 0.6;
    console.log(`- point select at c=32 at least 60% of the no-op gRPC call: ${verdict(select32?.minisqlOverNoopCall, atLeast60, ofNoop)}`);
    console.log(
      `- the same against a no-op statement on the statement stream (minisql's own transport, stricter): ${verdict(select32?.minisqlOverNoopStream, atLeast60, ofNoop)}`,
    );
    const atLeastOne = (v: number) => v >= 1;
    const shownTimes = (v: number) => `${v.toFixed(2)}×`;
    console.log(`- literal point select at c=32 at least PostgreSQL's prepared select: ${verdict(select32?.literalOverPostgres, atLeastOne, shownTimes)}`);
    console.log(
      `- literal insert at c=32 (durable) at least PostgreSQL's prepared insert (synchronous commit): ${verdict(insert32?.literalOverPostgres, atLeastOne, shownTimes)}`,
    );
    const p50Select1 = find('point select', 'minisql', 1)?.p50Ms;
    const pgP50Select1 = find('point select', 'postgres', 1)?.p50Ms;
    const p50Ratio = p50Select1 === undefined || pgP50Select1 === undefined ? undefined : p50Select1 / pgP50Select1;
    console.log(
      `- point select at c=1, p50 within 2× PostgreSQL's: ${verdict(
        p50Ratio,
        (v) => v <= 2,
        (v) => `${v.toFixed(2)}× (${p50Select1?.toFixed(3)} ms vs ${pgP50Select1?.toFixed(3)} ms)`,
      )}`,
    );
    for (const r of ratios.filter((x) => x.concurrency === 32 && !Number.isNaN(x.literalOverParameterised))) {
      console.log(
        `- ${r.workload} at c=32, literal within 10% of parameterised: ${verdict(r.literalOverParameterised, (v) => v >= LITERAL_SHARE_MIN, shownTimes)}${pairedRounds(r.workload, 32)}`,
      );
    }
    const memory = millionRssMb === undefined ? 'not measured (--million-rows 0)' : `${millionRssMb.toFixed(0)} MB — ${millionRssMb < 200 ? 'met' : 'not met'}`;
    console.log(`- a region holding ${MILLION.toLocaleString('en')} rows under 200 MB resident: ${memory}`);

    const colors: Record<System, string> = {
      minisql: '#1f6feb',
      'minisql literal': '#0a3069',
      'minisql fast': '#8fb8f7',
      'minisql plaintext': '#a371f7',
      postgres: '#1a7f37',
      'postgres literal': '#7ee787',
      etcd: '#d1242f',
      'no-op stream': '#7d8590',
      'no-op call': '#c9a227',
    };
    const measured = (workload: Workload, system: System) =>
      system.startsWith('no-op') || cells.some((cell) => cell.workload === workload && cell.system === system);
    const panels: Panel[] = WORKLOADS.map((workload) => ({
      title: workload,
      series: (Object.keys(colors) as System[])
        .filter((system) => measured(workload, system))
        .map((system) => ({
          label: system,
          color: colors[system],
          points: CONCURRENCY.map((c) => [c, find(system.startsWith('no-op') ? 'no-op' : workload, system, c)?.opsPerSecond ?? 0] as [number, number]),
        })),
    }));
    writeFileSync(join(OUT, 'throughput.svg'), throughputSvg(panels));
    writeFileSync(join(OUT, 'compare.json'), JSON.stringify({ cells, ratios, millionRssMb }, null, 2));
    console.log(`\nPlot: ${join(OUT, 'throughput.svg')}; data: ${join(OUT, 'compare.json')}`);
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(`compare-bench: ${error.message}`);
  process.exitCode = 1;
});
