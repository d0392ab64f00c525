/**
 * Other clients' latency while runaway queries run on their group: a primary/replica
 * pair, a table of --rows rows, closed-loop point selects and inserts from --concurrency
 * workers, first alone (the baseline), then while --runaways clients send, back to back,
 * a count over a three-way cross join of the table (hours of SQLite) with a
 * --deadline-ms deadline each. Prints p50/p99 of both phases, how each runaway query
 * ended, and the group's epoch before and after (a failover would change it).
 *   npm run bench:runaway -- [--rows 3000] [--concurrency 8] [--duration-ms 10000] [--deadline-ms 2000] [--runaways 2]
 */
import { parseArgs } from 'node:util';
import { ClusterClient } from '@minisql/client';
import { MiniSqlError } from '@minisql/common';
import { runClosedLoop } from '@minisql/region/bench/closed-loop.js';
import { summarizeLatencies } from '@minisql/region/bench/latency-stats.js';
import { TestCluster } from '../test/support/test-cluster.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    concurrency: { type: 'string' },
    'duration-ms': { type: 'string' },
    'deadline-ms': { type: 'string' },
    runaways: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: runaway-bench [--rows 3000] [--concurrency 8] [--duration-ms 10000] [--deadline-ms 2000] [--runaways 2]');
  process.exit(0);
}
const ROWS = Number(values.rows ?? 3_000);
const CONCURRENCY = Number(values.concurrency ?? 8);
const DURATION_MS = Number(values['duration-ms'] ?? 10_000);
const DEADLINE_MS = Number(values['deadline-ms'] ?? 2_000);
const RUNAWAYS = Number(values.runaways ?? 2);
const RUNAWAY = 'select count(*) from big a, big b, big c;';

const test = await TestCluster.start({ regions: 2 });
try {
  await test.waitForStatus('group g1', (s) => s.groups.length === 1);
  const client = await test.client();
  await client.execute('create table big (id int primary key, v text);');
  for (let from = 0; from < ROWS; from += 500) {
    const values = Array.from({ length: Math.min(500, ROWS - from) }, (_, i) => `(${from + i}, 'v${from + i}')`).join(', ');
    await client.execute(`insert into big values ${values};`);
  }
  let nextId = ROWS;
  let step = 0;
  // Half point selects of existing rows, half inserts of new ones.
  const op = (): Promise<unknown> =>
    step++ % 2 === 0
      ? client.execute(`select v from big where id = ${Math.floor(Math.random() * ROWS)};`)
      : client.execute(`insert into big values (${nextId++}, 'new');`);
  const measure = async (label: string): Promise<string> => {
    const loop = await runClosedLoop(op, { concurrency: CONCURRENCY, warmupMs: 500, durationMs: DURATION_MS, maxOps: 2_000_000 });
    const summary = summarizeLatencies(loop.latenciesNs);
    const rate = Math.round(loop.ops / (loop.elapsedNs / 1e9));
    return `| ${label} | ${rate.toLocaleString('en-US')} | ${summary.p50Ms.toFixed(2)} | ${summary.p99Ms.toFixed(2)} | ${summary.maxMs.toFixed(1)} | ${loop.errors} |`;
  };
  const epoch = async (): Promise<string> => {
    const group = (await client.clusterStatus()).groups[0];
    return `${group?.epoch ?? '?'} (primary ${group?.primary ?? '?'})`;
  };

  const rows = ['| phase | ops/s | p50 ms | p99 ms | max ms | errors |', '|---|---:|---:|---:|---:|---:|'];
  rows.push(await measure('alone'));
  const epochBefore = await epoch();
  const outcomes = new Map<string, number>();
  let running = true;
  const runaways = Array.from({ length: RUNAWAYS }, async () => {
    const impatient = await ClusterClient.connect({ masterAddresses: test.masterAddresses, statementTimeoutMs: DEADLINE_MS, ...test.tlsOption });
    try {
      while (running) {
        const started = Date.now();
        const outcome = await impatient.execute(RUNAWAY).then(
          () => 'returned',
          (error: unknown) => (error instanceof MiniSqlError ? error.code : String(error)),
        );
        const key = `${outcome} (${Math.round((Date.now() - started) / 100) / 10} s)`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    } finally {
      impatient.close();
    }
  });
  rows.push(await measure(`with ${RUNAWAYS} runaway queries at a time`));
  running = false;
  await Promise.all(runaways);
  const epochAfter = await epoch();

  console.log(
    `# Point selects and inserts of other clients while runaway queries run (${CONCURRENCY} workers, ${ROWS.toLocaleString('en-US')} rows, ${DURATION_MS} ms per phase)\n`,
  );
  console.log(rows.join('\n'));
  console.log(`\nRunaway queries (\`${RUNAWAY}\`, deadline ${DEADLINE_MS} ms): ${[...outcomes].map(([what, count]) => `${count} x ${what}`).join(', ')}`);
  console.log(`Group epoch before ${epochBefore}, after ${epochAfter}: ${epochBefore === epochAfter ? 'no failover' : 'FAILED OVER'}`);
} finally {
  await test.stop();
}
