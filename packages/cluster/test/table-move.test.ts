/**
 * Moving a table to another group online (`move table`), with a real etcd, master and four
 * regions (two groups of two): under a stream of writes, every acknowledged write is on
 * the new group and no write is applied twice, both copies there are equal, the old group
 * serves the table no more, and a retry of a write acknowledged before the move is
 * answered from the log the copy carried, not applied again.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterClient } from '@minisql/client';
import { EtcdKeys, loadTlsIdentity, parsePlacementRecord, placementOf, type MiniSqlError, type TableRecord } from '@minisql/common';
import { divergence, RegionPool } from '@minisql/wire';
import { startInserts } from './support/insert-stream.js';
import { TestCluster } from './support/test-cluster.js';

let test: TestCluster;
let client: ClusterClient;

before(async () => {
  test = await TestCluster.start({ regions: 4, leaseTtlSeconds: 2 });
  await test.waitForStatus('two groups, each with its replica in sync', (s) => s.groups.length === 2 && s.groups.every((g) => g.in_sync.length === 1));
  client = await test.client();
  await client.execute('create table moving (id int primary key, v text, n int);');
});

after(async () => {
  await test?.stop();
});

/** A stream of inserts into `moving`, four at a time. */
function startWriter(writer: ClusterClient) {
  return startInserts(test, writer, 'insert into moving values (?, ?, 0);', (id) => [id, `row ${id}`]);
}

async function groupOf(table: string): Promise<string> {
  const status = await client.clusterStatus();
  const group = status.groups.find((g) => g.tables.includes(table));
  assert.ok(group, `no group lists ${table}`);
  return group.group_id;
}

describe('moving a table to another group', () => {
  it('keeps every acknowledged write under a stream of writes, applies none twice, and leaves equal copies on the new group', async () => {
    const from = await groupOf('moving');
    const to = from === 'g1' ? 'g2' : 'g1';
    // A write acknowledged before the move, whose retry comes after it.
    await client.execute('update moving set n = n + 1 where id = -1;');
    await client.execute("insert into moving values (-1, 'counted', 0);");
    await client.execute('update moving set n = n + 1 where id = -1;', { requestId: 'retried-across-the-move' });

    const writer = startWriter(await test.client());
    await writer.until(200);
    const moved = await client.execute(`move table moving to ${to};`);
    assert.match(moved.message ?? '', new RegExp(`table \`moving\` moved from ${from} to ${to} at position \\d+: \\d+ entries after the copy`));
    await writer.until(writer.acked.length + 200);
    await writer.stop();
    const heldMs = Number(/held (\d+) ms/.exec(moved.message ?? '')?.[1]);
    console.log(
      `# ${writer.acked.length} writes acknowledged; ${moved.message}; longest gap between two acknowledgements: ${writer.longestGapMs().toFixed(0)} ms`,
    );
    assert.ok(heldMs < 2_000, `statements were held ${heldMs} ms, as long as the hold lasts`);
    // Writes refused by the source during the switch are retried by the client on the new group.
    assert.deepEqual(writer.failed, [], 'no write failed');
    assert.equal(await groupOf('moving'), to);

    const rows = (await client.execute('select id from moving where id > 0 order by id;')).rows.map((row) => Number(row[0]));
    assert.equal(new Set(rows).size, rows.length, 'no write applied twice');
    const present = new Set(rows);
    assert.deepEqual(
      writer.acked.filter((id) => !present.has(id)),
      [],
      'every acknowledged write is on the new group',
    );
    assert.equal(divergence(await client.verify('moving')), undefined, 'both members of the new group hold the same rows');

    // The retry carries the request id the source logged: answered from the copied log.
    await client.execute('update moving set n = n + 1 where id = -1;', { requestId: 'retried-across-the-move' });
    assert.deepEqual((await client.execute('select n from moving where id = -1;')).rows, [[1]], 'the retried update counted once');
  });

  it('the group it left serves the table no more, even to a client that still has its old route', async () => {
    const status = await client.clusterStatus();
    const owner = await groupOf('moving');
    const old = status.groups.find((g) => g.group_id !== owner);
    assert.ok(old);
    // Straight to the old primary, with the old group's epoch, as a client whose route is old.
    const pool = new RegionPool(loadTlsIdentity(test.config.certsDir, 'master1'));
    try {
      const oldPrimary = pool.get(test.cluster.addressOf(old.primary));
      for (const sql of ["insert into moving values (-2, 'stale route', 0);", 'select count(*) from moving;']) {
        await assert.rejects(
          oldPrimary.run(sql, { epoch: Number(old.epoch), timeoutMs: 5_000 }),
          // Refused by its placement, or gone: the copy is dropped once the move ends.
          (error: MiniSqlError) =>
            (error.code === 'NOT_PRIMARY' && /table `moving` is served by group/.test(error.message)) || error.code === 'TABLE_NOT_FOUND',
        );
      }
    } finally {
      pool.close();
    }
    assert.deepEqual((await client.execute('select v from moving where id = -2;')).rows, []);
  });

  it('a hold the master never releases ends with the source serving the table again, its placement rewritten so a late switch cannot land; the next master gives the move up', async () => {
    // As a master that marked a move, asked for the hold and then died would leave it: the
    // record and the placement say movingTo, and the source primary holds the table.
    const owner = await groupOf('moving');
    const other = owner === 'g1' ? 'g2' : 'g1';
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const etcd = test.etcdAdmin();
    try {
      const record = JSON.parse((await etcd.get(keys.table('moving')).string()) as string) as TableRecord;
      const marked = { ...record, movingTo: other };
      await etcd.put(keys.table('moving')).value(JSON.stringify(marked)).exec();
      await etcd
        .put(keys.placement('moving'))
        .value(JSON.stringify(placementOf(marked)))
        .exec();
      const before = (await etcd.get(keys.placement('moving')).exec()).kvs[0]?.mod_revision;
      const status = await client.clusterStatus();
      const primary = status.groups.find((g) => g.group_id === owner)?.primary as string;
      const held = await test.asMaster<{ error?: { code: string; message: string } | null }>(primary, (stub, done) =>
        stub.HoldTable({ table: 'moving', hold_ms: 300 }, done),
      );
      assert.equal(held.error?.code ?? '', '', held.error?.message);
      const started = performance.now();
      // The write waits for the hold, then is served by the same group.
      await client.execute("insert into moving values (-3, 'after the hold', 0);");
      assert.ok(performance.now() - started >= 150, 'the write waited for the hold to end');
      assert.equal(await groupOf('moving'), owner);
      assert.deepEqual((await client.execute('select v from moving where id = -3;')).rows, [['after the hold']]);
      const after = (await etcd.get(keys.placement('moving')).exec()).kvs[0];
      assert.ok(Number(after?.mod_revision) > Number(before), 'the placement was written again, so a switch compared against the old revision fails');
      assert.equal(parsePlacementRecord('placement', after?.value.toString() ?? '').group, owner);
      // The next master gives up the move a dead one left marked: the record and the
      // placement forget it, and the table can change again.
      await test.cluster.restart('master1');
      await test.waitFor('the new master to give the move up', async () => {
        const now = JSON.parse((await etcd.get(keys.table('moving')).string()) as string) as TableRecord;
        const placed = parsePlacementRecord('placement', (await etcd.get(keys.placement('moving')).string()) as string);
        return now.movingTo === undefined && placed.movingTo === undefined && placed.group === owner ? true : undefined;
      });
      await client.execute('create index moving_n on moving (n);');
      assert.equal(await groupOf('moving'), owner);
    } finally {
      etcd.close();
    }
  });

  it('a release note older than the placement the region knows (a late or replayed ReleaseTable) does not move the table away', async () => {
    const owner = await groupOf('moving');
    const other = owner === 'g1' ? 'g2' : 'g1';
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const etcd = test.etcdAdmin();
    try {
      const known = Number((await etcd.get(keys.placement('moving')).exec()).kvs[0]?.mod_revision);
      const primary = (await client.clusterStatus()).groups.find((g) => g.group_id === owner)?.primary as string;
      const released = await test.asMaster<{ error?: { code: string; message: string } | null }>(primary, (stub, done) =>
        stub.ReleaseTable({ table: 'moving', moved: true, group: other, revision: known - 1 }, done),
      );
      assert.equal(released.error?.code ?? '', '', released.error?.message);
      // Its own group's primary still serves the table, to a client routed there directly too.
      const pool = new RegionPool(loadTlsIdentity(test.config.certsDir, 'master1'));
      try {
        const epoch = Number((await client.clusterStatus()).groups.find((g) => g.group_id === owner)?.epoch);
        await pool.get(test.cluster.addressOf(primary)).run("insert into moving values (-4, 'after a stale release', 0);", { epoch, timeoutMs: 5_000 });
      } finally {
        pool.close();
      }
      assert.deepEqual((await client.execute('select v from moving where id = -4;')).rows, [['after a stale release']]);
      assert.equal(await groupOf('moving'), owner);
    } finally {
      etcd.close();
    }
  });

  it('a move whose source primary is killed while it copies is given up and loses no acknowledged write; the table ends on one group, the other keeps no copy', async () => {
    await client.execute('create table doomed (id int primary key, v text);');
    const pad = 'p'.repeat(1_000);
    for (let batch = 0; batch < 10; batch++) {
      const values = Array.from({ length: 100 }, (_, i) => `(${-(batch * 100 + i + 1)}, '${pad}')`).join(', ');
      await client.execute(`insert into doomed values ${values};`);
    }
    const from = await groupOf('doomed');
    const to = from === 'g1' ? 'g2' : 'g1';
    const before = (await client.clusterStatus()).groups.find((g) => g.group_id === from);
    const [source, survivor] = [before?.primary as string, before?.in_sync[0] as string];
    const writer = startInserts(test, await test.client(), 'insert into doomed values (?, ?);', (id) => [id, `row ${id}`]);
    await writer.until(100);
    // Stopped the moment it begins the snapshot the target is to copy (so the move cannot
    // finish first), then killed.
    let stopped = false;
    const watcher = watch(join(test.config.dataDir, source, 'snapshots'), () => {
      const pid = test.cluster.list().find((p) => p.name === source)?.pid;
      if (stopped || pid === undefined) return;
      process.kill(pid, 'SIGSTOP');
      stopped = true;
    });
    let answer: string;
    try {
      // The attempt whose source dies is given up (UNAVAILABLE); the client may try the
      // statement again once the group has failed over, and that attempt moves the table
      // from the new primary. Either way nothing acknowledged may be lost.
      const moving = client.execute(`move table doomed to ${to};`).then(
        (result) => result.message ?? '',
        (error: MiniSqlError) => `${error.code}: ${error.message}`,
      );
      await test.waitFor('the source primary to be stopped in its snapshot', async () => (stopped ? true : undefined));
      await test.cluster.kill(source);
      answer = await moving;
      console.log(`# the move: ${answer}`);
    } finally {
      watcher.close();
      // A stopped process left behind would hang the cluster's stop.
      if (stopped) await test.cluster.kill(source).catch(() => undefined);
    }
    const masterLog = readFileSync(join(test.config.dataDir, 'logs', 'master1.log'), 'utf8');
    assert.match(masterLog, /"message":"giving a table move up","table":"doomed"/, 'the attempt whose source died was given up');
    await test.waitForStatus(`${survivor} to be primary of ${from}`, (s) => s.groups.find((g) => g.group_id === from)?.primary === survivor);
    await writer.until(writer.acked.length + 100);
    await writer.stop();
    const owner = await groupOf('doomed');
    assert.equal(owner, /moved from/.test(answer) ? to : from, `the table is where the answer says: ${answer}`);
    const present = new Set((await client.execute('select id from doomed where id > 0;')).rows.map((row) => Number(row[0])));
    assert.deepEqual(
      writer.acked.filter((id) => !present.has(id)),
      [],
      'acknowledged writes missing',
    );
    assert.deepEqual((await client.execute('select count(*) from doomed where id < 0;')).rows, [[1_000]]);
    // The record forgets the move, so the table can change again; the group that does not
    // serve it drops what it copied or kept.
    await client.execute('create index doomed_v on doomed (v);');
    const other = (await client.clusterStatus()).groups.find((g) => g.group_id !== owner);
    const pool = new RegionPool(loadTlsIdentity(test.config.certsDir, 'master1'));
    try {
      for (const member of [other?.primary as string, ...(other?.in_sync ?? [])].filter((id) => id !== source)) {
        await test.waitFor(`${member} to hold no copy of doomed`, async () => {
          const tables = await pool.get(test.cluster.addressOf(member)).run('show tables;', { timeoutMs: 5_000 });
          return tables.rows.some((row) => row[0] === 'doomed') ? undefined : true;
        });
      }
    } finally {
      pool.close();
    }
    // The killed primary comes back as its group's replica; the table's copies are equal.
    await test.cluster.restart(source);
    await test.waitForStatus(`${source} back in ${from}, in sync`, (s) => s.groups.find((g) => g.group_id === from)?.in_sync.includes(source) === true);
    assert.equal(divergence(await client.verify('doomed')), undefined);
  });

  it('refuses a move to a group that does not exist, to the group it is on, and of a table that does not exist, naming them', async () => {
    const owner = await groupOf('moving');
    await assert.rejects(
      client.execute('move table moving to g9;'),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /group `g9`.*does not exist/.test(error.message),
    );
    await assert.rejects(
      client.execute(`move table moving to ${owner};`),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && new RegExp(`moving.*on group ${owner} already`).test(error.message),
    );
    await assert.rejects(
      client.execute('move table nowhere to g1;'),
      (error: MiniSqlError) => error.code === 'TABLE_NOT_FOUND' && /nowhere/.test(error.message),
    );
  });
});
