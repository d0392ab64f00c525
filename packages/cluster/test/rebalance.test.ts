/**
 * Rebalancing with real processes: a cluster of one group holds four tables; two more
 * regions start and form a second group, and the master moves half the tables to it by
 * itself. Gathered again on one group by hand, `rebalance;` spreads them once more. Every
 * row is where the table now lives, and each moved table's copies are equal.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ClusterClient } from '@minisql/client';
import type { Login, MiniSqlError } from '@minisql/common';
import { divergence } from '@minisql/wire';
import { TestCluster } from './support/test-cluster.js';

const TABLES = ['ta', 'tb', 'tc', 'td'];
const ROWS = 200;

let test: TestCluster;
let client: ClusterClient;

before(async () => {
  test = await TestCluster.start({ regions: 4, leaseTtlSeconds: 5, only: ['master1', 'region1', 'region2'] });
  await test.waitForStatus('group g1 with its replica in sync', (s) => s.groups.length === 1 && s.groups[0]?.in_sync.length === 1);
  client = await test.client();
  for (const table of TABLES) {
    await client.execute(`create table ${table} (id int primary key, v text);`);
    const values = Array.from({ length: ROWS }, (_, i) => `(${i}, '${table} ${i}')`).join(', ');
    await client.execute(`insert into ${table} values ${values};`);
  }
});

after(async () => {
  await test?.stop();
});

const CLIENT_MAIN = fileURLToPath(new URL('../../../client/dist/src/main.js', import.meta.url));

/**
 * `move table` typed to the real `minisql` process, which prints progress lines while the
 * move runs. The target's replica is held still (SIGSTOP) from before the statement until
 * the first progress line is out, so the move is seen under way, its copy to that replica
 * waiting; well inside the lease (leaseTtlSeconds above), so nobody fails over.
 */
async function moveInClientProcess(table: string, to: string, targetReplica: string): Promise<void> {
  const login = test.admin as Login;
  const pid = test.cluster.list().find((p) => p.name === targetReplica)?.pid;
  assert.ok(pid !== undefined, `${targetReplica} runs`);
  process.kill(pid, 'SIGSTOP');
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const progress = new RegExp(`^progress: table ${table} from g\\d+ to ${to}: .+$`, 'm');
  const child = spawn(
    process.execPath,
    [CLIENT_MAIN, '--config', test.configPath, '--user', login.user, '--progress-ms', '100', '-e', `move table ${table} to ${to};`],
    { env: { ...process.env, MINISQL_PASSWORD: login.password }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((exitCode = code))));
  try {
    await test.waitFor('a progress line from the client while the move copies', async () => (progress.test(err) || exitCode !== undefined ? true : undefined));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  try {
    assert.match(err, progress, `no progress line while the move ran; stderr: ${err}`);
    assert.equal(await exited, 0, `minisql failed: ${err}`);
  } finally {
    if (exitCode === undefined) child.kill();
  }
  assert.match(out, new RegExp(`table \`${table}\` moved from g\\d+ to ${to}`));
  console.log(`# ${progress.exec(err)?.[0] ?? ''}`);
}

async function assertEvenAndWhole(): Promise<void> {
  const status = await client.clusterStatus();
  assert.deepEqual(
    status.groups.map((g) => g.tables.length),
    [2, 2],
    `tables per group: ${status.groups.map((g) => `${g.group_id}: ${g.tables.join(', ')}`).join('; ')}`,
  );
  for (const table of TABLES) {
    assert.deepEqual((await client.execute(`select count(*) from ${table};`)).rows, [[ROWS]], `rows of ${table}`);
    assert.equal(divergence(await client.verify(table)), undefined, `copies of ${table}`);
  }
}

describe('rebalance', () => {
  it('after two regions join and form a group, the master moves tables to it by itself until both hold as many, keeping every row', async () => {
    await test.cluster.restart('region3');
    await test.cluster.restart('region4');
    await test.waitForStatus(
      'a second group, in sync, holding half the tables',
      (s) => s.groups.length === 2 && s.groups.every((g) => g.in_sync.length === 1 && g.tables.length === 2),
    );
    await assertEvenAndWhole();
    // Once the master's own rebalance has ended (a `rebalance;` meanwhile is refused, naming it), nothing is left to move.
    const answer = await test.waitFor('the background rebalance to end', () =>
      client.execute('rebalance;').then(
        (result) => result.message,
        (error: MiniSqlError) => (/under way/.test(error.message) ? undefined : Promise.reject(error)),
      ),
    );
    assert.match(answer ?? '', /the groups are even/);
  });

  it('on `rebalance;`, moves tables gathered on one group back until both hold as many', async () => {
    const [first, second] = [...(await client.clusterStatus()).groups].sort((a, b) => a.group_id.localeCompare(b.group_id));
    assert.ok(first && second);
    const [byProcess, ...rest] = second.tables;
    assert.ok(byProcess !== undefined);
    await moveInClientProcess(byProcess, first.group_id, first.in_sync[0] as string);
    for (const table of rest) await client.execute(`move table ${table} to ${first.group_id};`);
    assert.deepEqual((await client.clusterStatus()).groups.map((g) => g.tables.length).sort(), [0, 4], 'gathered on one group');
    const answer = await client.execute('rebalance;');
    assert.match(answer.message ?? '', /moved 2 table\(s\)/);
    await assertEvenAndWhole();
    // Even now: nothing more to move.
    assert.match((await client.execute('rebalance;')).message ?? '', /the groups are even/);
  });
});
