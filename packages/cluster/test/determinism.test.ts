/**
 * Non-deterministic writes through a failover, with real processes: the replica repeats
 * the primary's time and random values, so after kill -9 of the primary the new one
 * answers exactly what the client read before. And verify: every member's copy compared
 * at one log position, and a copy changed behind the log's back caught twice over.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { divergence, memberVerdict } from '@minisql/client';
import type { ClusterStatusResponse__Output } from '@minisql/common';
import { TableFile } from '@minisql/region';
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

describe('verify and a replica made to differ', () => {
  let test: TestCluster;
  after(async () => {
    await test?.stop();
  });

  it('verify finds every copy equal; a row changed behind the replica is reported by verify, refused by the next entry that touches it, and the replica is copied afresh', async () => {
    test = await TestCluster.start({ regions: 2 });
    await test.waitForStatus('group g1 with a replica in sync', (s) => s.groups[0]?.in_sync.length === 1);
    const client = await test.client();
    await client.execute('create table vt (id int primary key, v varchar(16));');
    await client.execute("insert into vt values (1, 'one'), (2, 'two'), (3, 'three');");
    const [equal] = await client.verify('vt');
    assert.equal(equal?.members.length, 2, 'the primary and its in-sync replica');
    assert.ok(
      equal?.members.every((m) => memberVerdict(equal, m) === 'equal'),
      JSON.stringify(equal),
    );
    assert.equal(divergence(await client.verify()), undefined);

    // The test hook: another process changes a row in the replica's file, as a disk or an
    // operator could, while the region runs.
    const group = groupOf(await client.clusterStatus(), 'vt');
    const replica = group?.in_sync[0] as string;
    const file = TableFile.open(join(test.config.dataDir, replica, 'tables', 'vt.sqlite'), { statementCacheSize: 4, synchronous: 'FULL', pageCacheKiB: 256 });
    try {
      file.exec("UPDATE vt SET v = 'tampered' WHERE id = 2");
    } finally {
      file.close();
    }
    const [differs] = await client.verify('vt');
    const copy = differs?.members.find((m) => m.region === replica);
    assert.ok(differs !== undefined && copy !== undefined);
    assert.equal(memberVerdict(differs, copy), 'differs');
    assert.equal(divergence([differs])?.code, 'REPLICA_DIVERGED');

    // The next write to that row: the replica's entry check refuses it, the primary takes the
    // replica out of the in-sync set and acknowledges; the replica copies the table again.
    await client.execute("update vt set v = v || '!' where id = 2;");
    await test.waitForStatus('the diverged replica to leave the in-sync set', (s) => !groupOf(s, 'vt')?.in_sync.includes(replica));
    await test.waitForStatus('the replica to be copied afresh and rejoin', (s) => groupOf(s, 'vt')?.in_sync.includes(replica) === true);
    const [again] = await client.verify('vt');
    assert.ok(again?.members.length === 2 && again.members.every((m) => memberVerdict(again, m) === 'equal'), JSON.stringify(again));
    assert.deepEqual((await client.execute('select v from vt where id = 2;')).rows, [['two!']]);
  });
});
