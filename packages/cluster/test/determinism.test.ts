/**
 * Non-deterministic writes through a failover, with real processes: the replica repeats
 * the primary's time and random values, so after kill -9 of the primary the new one
 * answers exactly what the client read before.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterStatusResponse__Output } from '@minisql/common';
import { TestCluster } from './support/test-cluster.js';

const groupOf = (status: ClusterStatusResponse__Output, table: string) => status.groups.find((g) => g.tables.includes(table));

describe('non-deterministic writes and a failover', () => {
  let test: TestCluster;
  after(async () => {
    await test?.stop();
  });

  it('the new primary returns the random values and times the client read from the old one', async () => {
    test = await TestCluster.start({ regions: 2 });
    await test.waitForStatus('group g1 with a replica in sync', (s) => s.groups[0]?.in_sync.length === 1);
    const client = await test.client();
    await client.execute('create table nd (id int primary key, r bigint, stamp varchar(64), token varchar(64));');
    for (let id = 1; id <= 20; id += 1) {
      await client.execute(
        "insert into nd values (?, random() % 1000000000000, strftime('%Y-%m-%d %H:%M:%f', 'now') || ' ' || current_timestamp, hex(randomblob(16)));",
        { params: [id] },
      );
    }
    await client.execute("update nd set r = abs(random()) % 1000, stamp = datetime('now', '+1 hour') where id % 3 = 0;");
    await client.execute('delete from nd where id = (select min(id) from nd where r % 2 = 0);');
    const read = (await client.execute('select id, r, stamp, token from nd order by id;')).rows;
    assert.ok(read.length >= 19, `rows read: ${read.length}`);
    assert.equal(new Set(read.map((row) => row[3])).size, read.length, 'every row drew its own random bytes');

    const before = groupOf(await client.clusterStatus(), 'nd');
    await test.cluster.kill(before?.primary as string);
    await test.waitForStatus('the replica to take over', (s) => {
      const group = groupOf(s, 'nd');
      return group !== undefined && group.primary !== before?.primary && group.epoch > (before?.epoch ?? 0);
    });
    assert.deepEqual((await client.execute('select id, r, stamp, token from nd order by id;')).rows, read);
  });
});
