/**
 * A group of three copies with real processes: every member says where its log stands,
 * and when the primary is killed the master promotes an in-sync replica that holds every
 * acknowledged write, while the other replica stays in sync with the new primary.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegionTransport } from '@minisql/client';
import { TestCluster } from './support/test-cluster.js';

describe('a group of three copies', () => {
  let test: TestCluster;
  after(async () => {
    await test?.stop();
  });

  it('every member reports its log positions; after kill -9 of the primary a replica takes over with every acknowledged write and the third copy stays in sync', async () => {
    test = await TestCluster.start({ regions: 3, replicationFactor: 3 });
    await test.waitForStatus('a group of three', (s) => s.groups[0]?.in_sync.length === 2);
    const client = await test.client();
    await client.execute('create table t (id int primary key, v int);');
    for (let i = 0; i < 30; i += 1) await client.execute(`insert into t values (${i}, ${i * 2});`);
    const status = await client.clusterStatus();
    const group = status.groups[0]!;
    const members = [group.primary, ...group.in_sync];
    const positions = await Promise.all(
      members.map(async (region) => {
        const transport = new RegionTransport(test.cluster.addressOf(region), test.tls, test.admin);
        try {
          return (await transport.logPositions(2_000)).get('t');
        } finally {
          transport.close();
        }
      }),
    );
    assert.deepEqual(positions, [30, 30, 30], 'every in-sync member holds all 30 acknowledged inserts');

    await test.cluster.kill(group.primary);
    const after = await test.waitForStatus('a new primary', (s) => s.groups[0]?.epoch === group.epoch + 1);
    const next = after.groups[0]!;
    assert.ok(group.in_sync.includes(next.primary), `${next.primary} was an in-sync replica`);
    assert.equal((await client.execute('select count(*), sum(v) from t;')).rows[0]?.join(','), '30,870');
    await client.execute('insert into t values (100, 1);');
    const third = group.in_sync.find((id) => id !== next.primary) as string;
    assert.deepEqual(next.in_sync, [third], 'the third copy is still in sync: it held no entry the new primary lacks');
    assert.equal((await test.waitForStatus('in sync', (s) => s.groups[0]?.in_sync.includes(third) === true)).groups[0]?.catching_up.length, 0);
  });
});
