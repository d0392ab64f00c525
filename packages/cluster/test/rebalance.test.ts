/**
 * `rebalance;` with real processes: a cluster of one group holds four tables; two more
 * regions start and form a second group, which stays empty until `rebalance;` moves half
 * the tables to it. Every row is where the table now lives, and each moved table's copies
 * are equal.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { ClusterClient } from '@minisql/client';
import { divergence } from '@minisql/wire';
import { TestCluster } from './support/test-cluster.js';

const TABLES = ['ta', 'tb', 'tc', 'td'];
const ROWS = 200;

let test: TestCluster;
let client: ClusterClient;

before(async () => {
  test = await TestCluster.start({ regions: 4, leaseTtlSeconds: 2, only: ['master1', 'region1', 'region2'] });
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

describe('rebalance', () => {
  it('after two regions join and form a group, moves tables to it until both hold as many, keeping every row', async () => {
    await test.cluster.restart('region3');
    await test.cluster.restart('region4');
    const formed = await test.waitForStatus('a second group, in sync', (s) => s.groups.length === 2 && s.groups.every((g) => g.in_sync.length === 1));
    assert.deepEqual(formed.groups.map((g) => g.tables.length).sort(), [0, 4], 'the new group starts empty');
    const answer = await client.execute('rebalance;');
    assert.match(answer.message ?? '', /moved 2 table\(s\)/);
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
    // Even now: nothing more to move.
    assert.match((await client.execute('rebalance;')).message ?? '', /the groups are even/);
  });
});
