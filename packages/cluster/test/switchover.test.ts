/**
 * Planned switchover with real processes: under a stream of writes the primary hands its
 * group to its replica and back, and every acknowledged write is there, once, on both
 * members; a handover the master never completes ends with the primary serving again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterClient } from '@minisql/client';
import { divergence } from '@minisql/client';
import type { MiniSqlError } from '@minisql/common';
import { startInserts } from './support/insert-stream.js';
import { TestCluster } from './support/test-cluster.js';

/** Bounds on the writer: it stops at this many writes or when told to. */
const WRITES_MAX = 20_000;

let test: TestCluster;
let client: ClusterClient;

before(async () => {
  test = await TestCluster.start({ regions: 2, leaseTtlSeconds: 2 });
  // A table goes to a group: there must be one first.
  await test.waitForStatus('a group with its replica in sync', (s) => s.groups[0]?.in_sync.length === 1);
  client = await test.client();
  await client.execute('create table moved (id int primary key, v text);');
});

after(async () => {
  await test?.stop();
});

/** A stream of inserts into `moved`, four at a time, from `firstId` on. */
function startWriter(writer: ClusterClient, firstId: number) {
  return startInserts(test, writer, 'insert into moved values (?, ?);', (id) => [id, `row ${id}`], { firstId, writesMax: WRITES_MAX });
}

describe('a planned switchover', () => {
  it('hands the group to its replica and back under writes, losing no acknowledged write', async () => {
    const before = (await client.clusterStatus()).groups[0];
    const [first, second] = [before?.primary as string, before?.in_sync[0] as string];
    const writer = startWriter(await test.client(), 1);
    await writer.until(100);
    const there = await client.execute('switchover g1;');
    assert.match(there.message ?? '', new RegExp(`group g1: ${second} is primary at epoch ${(before?.epoch as number) + 1} \\(was ${first}\\)`));
    await writer.until(writer.acked.length + 100);
    const back = await client.execute(`switchover g1 to ${first};`);
    assert.match(back.message ?? '', new RegExp(`${first} is primary at epoch ${(before?.epoch as number) + 2}`));
    await writer.until(writer.acked.length + 100);
    await writer.stop();
    console.log(`# ${writer.acked.length} writes acknowledged; longest gap between two: ${writer.longestGapMs().toFixed(0)} ms`);
    // A write refused by the primary handing over is retried by the client on the new one.
    assert.deepEqual(writer.failed, [], 'no write failed');

    const after = (await client.clusterStatus()).groups[0];
    assert.equal(after?.primary, first);
    assert.deepEqual(after?.in_sync, [second]);
    const rows = (await client.execute('select id from moved order by id;')).rows.map((row) => Number(row[0]));
    assert.equal(new Set(rows).size, rows.length, 'no write applied twice');
    const present = new Set(rows);
    const lost = writer.acked.filter((id) => !present.has(id));
    assert.deepEqual(lost, [], 'every acknowledged write is there');
    assert.equal(divergence(await client.verify('moved')), undefined, 'both members hold the same rows');
  });

  it('refuses a target that is not an in-sync replica, and a group that does not exist, naming them', async () => {
    await assert.rejects(
      client.execute('switchover g1 to region9;'),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /region9.*not a live in-sync replica of g1/.test(error.message),
    );
    await assert.rejects(
      client.execute('switchover g7;'),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /group `g7`.*does not exist \(groups: g1\)/.test(error.message),
    );
  });

  it('a handover the master never completes ends with the primary serving again, at the same epoch', async () => {
    const group = (await client.clusterStatus()).groups[0];
    const held = await test.asMaster<{ error?: { code: string } | null }>(group?.primary as string, (stub, done) =>
      stub.Handover({ group_id: group?.group_id, epoch: group?.epoch, target: group?.in_sync[0], hold_ms: 300 }, done),
    );
    assert.equal(held.error?.code ?? '', '');
    const started = performance.now();
    // Held while the handover lasts, served once the primary takes its group back.
    await client.execute("insert into moved values (-1, 'after the hold');");
    assert.ok(performance.now() - started >= 150, 'the write waited for the hold to end');
    const now = (await client.clusterStatus()).groups[0];
    assert.equal(now?.primary, group?.primary);
    assert.equal(now?.epoch, group?.epoch);
    assert.deepEqual((await client.execute('select v from moved where id = -1;')).rows, [['after the hold']]);
  });
});
