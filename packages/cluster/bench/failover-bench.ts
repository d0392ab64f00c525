/**
 * The failover benchmark (not a test): on a real local cluster (etcd, a master, two
 * regions as processes), measures
 * - client-observed write unavailability after kill -9 of a primary (the crash path:
 *   the master sees the connection refused and revokes the lease), --trials times;
 * - the same after the primary is cut off from etcd (the lease-expiry path: both
 *   regions reach etcd through a proxy that the bench blackholes), --trials times;
 * - the same around a planned switchover (`switchover g1;`), --trials times: the write
 *   pause of a handover that needs no lease to run out;
 * - the same around an online table move (`move table beats to g2;`, then back), on a
 *   cluster of two groups, --trials times: the longest time without an acknowledged
 *   write from the statement on, and how long the source held the table for the switch;
 * - re-replication: a replica restarted next to a table of --table-mb megabytes copies
 *   it over FTP; the copy speed, and the primary's write throughput during the copy
 *   against before it.
 *   node packages/cluster/dist/bench/failover-bench.js [--trials 10] [--table-mb 1024] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReadyProcess, type ClusterStatusResponse__Output } from '@minisql/common';
import type { ClusterClient } from '@minisql/client';
import { REGION_MAIN } from '../src/local-cluster.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { TestCluster } from '../test/support/test-cluster.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string' },
    'table-mb': { type: 'string' },
    json: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: failover-bench [--trials N (default 10)] [--table-mb MB (default 1024)] [--only failover|switchover|move|copy] [--json FILE]');
  process.exit(0);
}
const RUN_FAILOVER = values.only === undefined || values.only === 'failover';
const RUN_SWITCHOVER = values.only === undefined || values.only === 'switchover';
const RUN_COPY = values.only === undefined || values.only === 'copy';
const RUN_MOVE = values.only === undefined || values.only === 'move';
/** Rows in the moved table before the trials. */
const MOVE_TABLE_ROWS = 10_000;
/** Bound on waiting for a replica to copy the big table, in milliseconds. */
const COPY_WAIT_MS = 15 * 60_000;
const TRIALS = Number(values.trials ?? 10);
const TABLE_MB = Number(values['table-mb'] ?? 1024);
const LEASE_TTL_SECONDS = 2;
/** Bound on any wait for the cluster, in milliseconds. */
const WAIT_MS = 60_000;
const ROW_TEXT_BYTES = 64 * 1024;
const ROWS_PER_INSERT = 15;

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    trials: sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    maxMs: sorted.at(-1) ?? NaN,
    samplesMs: sorted.map(Math.round),
  };
};

interface Regions {
  test: TestCluster;
  proxies: Map<string, TcpProxy>;
  processes: Map<string, ReadyProcess>;
}

/** A cluster whose two regions reach etcd through proxies the bench can cut. */
async function startCluster(): Promise<Regions> {
  const test = await TestCluster.start({ regions: 2, leaseTtlSeconds: LEASE_TTL_SECONDS, only: ['master1'] });
  const etcdPort = test.config.hosts.find((h) => h.roles.includes('etcd'))?.ports.etcdClient as number;
  const proxies = new Map<string, TcpProxy>();
  const processes = new Map<string, ReadyProcess>();
  for (const name of ['region1', 'region2']) {
    const proxy = await TcpProxy.start(etcdPort);
    proxies.set(name, proxy);
    processes.set(name, await startRegion(test, name, proxy));
  }
  await test.waitForStatus('a group of two', (s) => s.groups[0]?.in_sync.length === 1);
  return { test, proxies, processes };
}

function startRegion(test: TestCluster, name: string, proxy: TcpProxy): Promise<ReadyProcess> {
  return ReadyProcess.start({
    script: REGION_MAIN,
    args: ['--config', test.configPath, '--etcd-endpoints', proxy.url],
    env: { ...process.env, THIS_NAME: name, MINISQL_LOG_LEVEL: 'info' },
    onStderrLine: (line) => {
      if (line.includes('copied the group')) copyLines.push(line);
    },
  });
}
const copyLines: string[] = [];

/** Writes one row after another until told to stop; records when each was acknowledged. */
function writer(client: ClusterClient, table: string, firstId = 0) {
  let stop = false;
  const acks: number[] = [];
  let next = firstId;
  const done = (async () => {
    while (!stop) {
      const id = next++;
      await client.execute(`insert into ${table} values (?, ?);`, { params: [id, 'x'] }).then(
        () => acks.push(performance.now()),
        () => undefined,
      );
    }
  })();
  return { acks, stop: async () => ((stop = true), await done) };
}

async function fullyInSync(test: TestCluster, timeoutMs = WAIT_MS): Promise<ClusterStatusResponse__Output> {
  return test.waitForStatus('both regions in sync', (s) => s.groups[0]?.in_sync.length === 1 && s.regions.every((r) => r.alive), timeoutMs);
}

/**
 * One trial: fault the primary under a stream of writes, and return the longest time
 * without an acknowledged write from the fault on. (A primary cut off from etcd rightly
 * keeps acknowledging until its lease may have expired, so the gap opens later than the
 * fault; measuring the gap catches that.)
 */
async function trial(regions: Regions, client: ClusterClient, kind: 'kill' | 'cut', table: string): Promise<number> {
  const status = await fullyInSync(regions.test);
  const primary = status.groups[0]?.primary as string;
  const load = writer(client, table);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const faultAt = performance.now();
  if (kind === 'kill') await regions.processes.get(primary)?.stop('SIGKILL');
  else regions.proxies.get(primary)?.cut();
  // Watch long enough for the lease to run out and writes to settle on the new primary.
  const windowEnd = faultAt + LEASE_TTL_SECONDS * 1_000 + 3_000;
  await new Promise((resolve) => setTimeout(resolve, windowEnd - performance.now()));
  await load.stop();
  const times = [faultAt, ...load.acks.filter((t) => t > faultAt && t <= windowEnd), windowEnd];
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  const resumedAt = load.acks.some((t) => t > faultAt) ? Math.max(...gaps) : undefined;
  // Heal: the faulted region comes back and copies its way into the group again.
  if (kind === 'kill') regions.processes.set(primary, await startRegion(regions.test, primary, regions.proxies.get(primary) as TcpProxy));
  else regions.proxies.get(primary)?.heal();
  await fullyInSync(regions.test);
  if (resumedAt === undefined) throw new Error(`no write was acknowledged within ${Math.round(windowEnd - faultAt)} ms after ${kind} of ${primary}`);
  return resumedAt;
}

/** One switchover under a stream of writes: the longest time without an acknowledged write from the statement on. */
async function switchoverTrial(regions: Regions, client: ClusterClient, table: string): Promise<number> {
  await fullyInSync(regions.test);
  const load = writer(client, table);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const startedAt = performance.now();
  const answer = await client.execute('switchover g1;');
  progress(`switchover answered after ${(performance.now() - startedAt).toFixed(0)} ms: ${answer.message ?? ''}`);
  const windowEnd = startedAt + 1_000;
  await new Promise((resolve) => setTimeout(resolve, windowEnd - performance.now()));
  await load.stop();
  const times = [startedAt, ...load.acks.filter((t) => t > startedAt && t <= windowEnd), windowEnd];
  return Math.max(...times.slice(1).map((t, i) => t - (times[i] as number)));
}

/**
 * Table moves under a stream of writes, on a cluster of two groups of two: per trial the
 * longest time without an acknowledged write from the statement on (until a second after
 * it answered), and the hold the master reports (statements on the table waiting for the switch).
 */
async function moveTrials(): Promise<{ pauses: number[]; holds: number[] }> {
  const test = await TestCluster.start({ regions: 4, leaseTtlSeconds: LEASE_TTL_SECONDS, logLevel: 'info' });
  try {
    await test.waitForStatus(
      'two groups, each with its replica in sync',
      (s) => s.groups.length === 2 && s.groups.every((g) => g.in_sync.length === 1),
      WAIT_MS,
    );
    const client = await test.client();
    await client.execute('create table beats (id int primary key, v text);');
    for (let first = -MOVE_TABLE_ROWS; first < 0; first += 500) {
      const values = Array.from({ length: 500 }, (_, i) => `(${first + i}, 'preloaded row ${first + i}')`).join(', ');
      await client.execute(`insert into beats values ${values};`);
    }
    const pauses: number[] = [];
    const holds: number[] = [];
    for (let i = 0; i < TRIALS; i += 1) {
      const status = await client.clusterStatus();
      const owner = status.groups.find((g) => g.tables.includes('beats'))?.group_id;
      const to = owner === 'g1' ? 'g2' : 'g1';
      const load = writer(client, 'beats', 1_000_000 * (i + 1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const startedAt = performance.now();
      const answer = await client.execute(`move table beats to ${to};`);
      const windowEnd = performance.now() + 1_000;
      await new Promise((resolve) => setTimeout(resolve, windowEnd - performance.now()));
      await load.stop();
      const times = [startedAt, ...load.acks.filter((t) => t > startedAt && t <= windowEnd), windowEnd];
      pauses.push(Math.max(...times.slice(1).map((t, j) => t - (times[j] as number))));
      holds.push(Number(/held (\d+) ms/.exec(answer.message ?? '')?.[1] ?? NaN));
      progress(
        `move trial ${i + 1}/${TRIALS} (${owner} to ${to}): longest time without an acknowledged write ${pauses.at(-1)?.toFixed(0)} ms; held ${holds.at(-1)} ms`,
      );
    }
    return { pauses, holds };
  } finally {
    await test.stop();
  }
}

async function rereplication(regions: Regions, client: ClusterClient) {
  await client.execute('create table big (id int primary key, body text);');
  const body = 'y'.repeat(ROW_TEXT_BYTES);
  const statements = Math.ceil((TABLE_MB * 1024 * 1024) / (ROW_TEXT_BYTES * ROWS_PER_INSERT));
  const filled = performance.now();
  for (let s = 0; s < statements; s += 1) {
    const rows = Array.from({ length: ROWS_PER_INSERT }, (_, r) => `(${s * ROWS_PER_INSERT + r}, '${body}')`).join(', ');
    await client.execute(`insert into big values ${rows};`);
    if (s % 100 === 0) progress(`filling big: ${Math.round(((s + 1) / statements) * 100)}%`);
  }
  progress(`filled ${TABLE_MB} MB in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
  const status = await fullyInSync(regions.test);
  const replica = status.groups[0]?.in_sync[0] as string;
  await client.execute('create table during (id int primary key, v text);');
  const before = writer(client, 'during');
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await before.stop();
  const baselinePerSecond = before.acks.length / 3;
  await regions.processes.get(replica)?.stop('SIGKILL');
  await regions.test.waitForStatus('the replica to leave', (s) => s.groups[0]?.in_sync.length === 0);
  copyLines.length = 0;
  await client.execute('delete from during;');
  const load = writer(client, 'during');
  const restartAt = performance.now();
  regions.processes.set(replica, await startRegion(regions.test, replica, regions.proxies.get(replica) as TcpProxy));
  await fullyInSync(regions.test, COPY_WAIT_MS);
  const joinedAt = performance.now();
  await load.stop();
  const copy = copyLines.map((line) => JSON.parse(line) as { bytes: number; seconds: number; megabytesPerSecond: number }).at(-1);
  return {
    tableMegabytes: TABLE_MB,
    copiedBytes: copy?.bytes ?? 0,
    copySeconds: copy?.seconds ?? NaN,
    copyMegabytesPerSecond: copy?.megabytesPerSecond ?? NaN,
    restartToInSyncSeconds: (joinedAt - restartAt) / 1000,
    writesPerSecondBefore: baselinePerSecond,
    writesPerSecondDuringCopy: load.acks.length / ((joinedAt - restartAt) / 1000),
  };
}

async function main(): Promise<void> {
  const regions = await startCluster();
  const cleanup = async () => {
    for (const p of regions.processes.values()) await p.stop('SIGKILL');
    for (const p of regions.proxies.values()) await p.close();
    await regions.test.stop();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const client = await regions.test.client();
    await client.execute('create table beats (id int primary key, v text);');
    const kills: number[] = [];
    for (let i = 0; RUN_FAILOVER && i < TRIALS; i += 1) {
      await client.execute('delete from beats;');
      kills.push(await trial(regions, client, 'kill', 'beats'));
      progress(`kill -9 trial ${i + 1}/${TRIALS}: longest time without an acknowledged write ${kills.at(-1)?.toFixed(0)} ms`);
    }
    const cuts: number[] = [];
    for (let i = 0; RUN_FAILOVER && i < TRIALS; i += 1) {
      await client.execute('delete from beats;');
      cuts.push(await trial(regions, client, 'cut', 'beats'));
      progress(`cut-off trial ${i + 1}/${TRIALS}: longest time without an acknowledged write ${cuts.at(-1)?.toFixed(0)} ms`);
    }
    const switchovers: number[] = [];
    for (let i = 0; RUN_SWITCHOVER && i < TRIALS; i += 1) {
      await client.execute('delete from beats;');
      switchovers.push(await switchoverTrial(regions, client, 'beats'));
      progress(`switchover trial ${i + 1}/${TRIALS}: longest time without an acknowledged write ${switchovers.at(-1)?.toFixed(0)} ms`);
    }
    const copy = RUN_COPY ? await rereplication(regions, client) : undefined;
    const moves = RUN_MOVE ? await moveTrials() : undefined;
    const result = {
      leaseTtlSeconds: LEASE_TTL_SECONDS,
      killPrimary: { ...summary(kills), targetP50Ms: 1_000 },
      cutOffPrimary: { ...summary(cuts), targetMaxMs: LEASE_TTL_SECONDS * 1_000 + 1_000 },
      switchover: { ...summary(switchovers), targetMaxMs: 100 },
      rereplication: copy === undefined ? undefined : { ...copy, targetMegabytesPerSecond: 100 },
      move: moves === undefined ? undefined : { pause: { ...summary(moves.pauses), targetP50Ms: 200 }, held: summary(moves.holds) },
    };
    if (RUN_FAILOVER || RUN_SWITCHOVER || RUN_MOVE) {
      console.log('| measurement | trials | p50 | p90 | max | target |');
      console.log('|---|---:|---:|---:|---:|---|');
    }
    if (RUN_SWITCHOVER) {
      console.log(
        `| write pause of a planned switchover | ${TRIALS} | ${result.switchover.p50Ms.toFixed(0)} ms | ${result.switchover.p90Ms.toFixed(0)} ms | ${result.switchover.maxMs.toFixed(0)} ms | max < 100 ms |`,
      );
    }
    if (result.move) {
      const { pause, held } = result.move;
      console.log(
        `| write pause of a table move (${MOVE_TABLE_ROWS.toLocaleString('en')} rows) | ${TRIALS} | ${pause.p50Ms.toFixed(0)} ms | ${pause.p90Ms.toFixed(0)} ms | ${pause.maxMs.toFixed(0)} ms | p50 < 200 ms |`,
      );
      console.log(
        `| the table held on its source for the switch | ${TRIALS} | ${held.p50Ms.toFixed(0)} ms | ${held.p90Ms.toFixed(0)} ms | ${held.maxMs.toFixed(0)} ms | |`,
      );
    }
    if (RUN_FAILOVER) {
      console.log(
        `| write unavailability after kill -9 of the primary | ${TRIALS} | ${result.killPrimary.p50Ms.toFixed(0)} ms | ${result.killPrimary.p90Ms.toFixed(0)} ms | ${result.killPrimary.maxMs.toFixed(0)} ms | p50 < 1000 ms |`,
      );
      console.log(
        `| write unavailability after cutting the primary off etcd | ${TRIALS} | ${result.cutOffPrimary.p50Ms.toFixed(0)} ms | ${result.cutOffPrimary.p90Ms.toFixed(0)} ms | ${result.cutOffPrimary.maxMs.toFixed(0)} ms | <= ${result.cutOffPrimary.targetMaxMs} ms |`,
      );
      console.log('');
    }
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
    if (!copy) return;
    console.log(
      `Re-replication of a ${TABLE_MB} MB table: ${(copy.copiedBytes / 1e6).toFixed(0)} MB copied over FTP in ${copy.copySeconds.toFixed(2)} s = ${copy.copyMegabytesPerSecond.toFixed(0)} MB/s (target >= 100 MB/s); restart to in-sync ${copy.restartToInSyncSeconds.toFixed(1)} s.`,
    );
    console.log(
      `Primary write throughput (1 writer): ${copy.writesPerSecondBefore.toFixed(0)}/s before, ${copy.writesPerSecondDuringCopy.toFixed(0)}/s during the copy (ratio ${(copy.writesPerSecondDuringCopy / copy.writesPerSecondBefore).toFixed(2)}).`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(`failover-bench: ${error.message}`);
  process.exitCode = 1;
});
