/**
 * Replication and failover with real processes: writes are on every in-sync replica
 * before they are acknowledged, a killed primary is replaced without losing one, a
 * retried write is applied once, and a primary cut off from etcd stops acknowledging.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { MiniSqlClient, type ClusterClient } from '@minisql/client';
import { loadTlsIdentity, ReadyProcess, type ApplyResponse__Output, type ClusterStatusResponse__Output } from '@minisql/common';
import { replicationStub } from '@minisql/wire';
import { REGION_MAIN } from '../src/local-cluster.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TestCluster } from './support/test-cluster.js';

const WRITERS = 8;
const WRITES_PER_WRITER = 40;

const groupOf = (status: ClusterStatusResponse__Output, table: string) => status.groups.find((g) => g.tables.includes(table));

/** Rows read straight from one region (a replica answers because the read asks for it). */
async function directRows(test: TestCluster, region: string, sql: string): Promise<unknown[][]> {
  const client = await MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(region), ...test.tlsOption });
  try {
    return (await client.execute(sql, { consistency: 'replica' })).rows;
  } finally {
    client.close();
  }
}

describe('a primary killed in the middle of a stream of writes', () => {
  let test: TestCluster;
  /** The primary the first test kills; the second brings it back. */
  let killedPrimary = '';
  after(async () => {
    await test?.stop();
  });

  it('loses no acknowledged write and applies none twice; the replica takes over with a new epoch', async () => {
    test = await TestCluster.start({ regions: 2 });
    await test.waitForStatus('group g1', (s) => s.groups.length === 1);
    const setup = await test.client();
    await setup.execute('create table stream (id int primary key, writer int);');
    await setup.execute('create table tally (id int primary key, n int);');
    await setup.execute('insert into tally values (1, 0);');
    const before = await setup.clusterStatus();
    const primary = groupOf(before, 'stream')?.primary as string;
    killedPrimary = primary;

    const acked: number[] = [];
    const attempted: number[] = [];
    let tallyAcked = 0;
    let tallyAttempted = 0;
    let killed: Promise<void> | undefined;
    const clients: ClusterClient[] = await Promise.all(Array.from({ length: WRITERS }, () => test.client()));
    await Promise.all(
      clients.map(async (client, writer) => {
        for (let i = 0; i < WRITES_PER_WRITER; i += 1) {
          const id = writer * 1_000 + i;
          attempted.push(id);
          await client.execute('insert into stream values (?, ?);', { params: [id, writer] }).then(
            () => acked.push(id),
            () => undefined,
          );
          tallyAttempted += 1;
          await client.execute('update tally set n = n + 1 where id = 1;').then(
            () => (tallyAcked += 1),
            () => undefined,
          );
          if (acked.length >= 100 && killed === undefined) killed = test.cluster.kill(primary);
        }
      }),
    );
    await killed;

    const after = await setup.clusterStatus();
    const group = groupOf(after, 'stream');
    assert.notEqual(group?.primary, primary, 'a replica was promoted');
    assert.equal(group?.epoch, 2);
    const ids = new Set((await setup.execute('select id from stream;')).rows.map((row) => row[0] as number));
    const lost = acked.filter((id) => !ids.has(id));
    assert.deepEqual(lost, [], 'every acknowledged insert is present');
    assert.ok([...ids].every((id) => attempted.includes(id)));
    const n = (await setup.execute('select n from tally;')).rows[0]?.[0] as number;
    assert.ok(n >= tallyAcked && n <= tallyAttempted, `tally ${n} between acknowledged ${tallyAcked} and attempted ${tallyAttempted}`);
    assert.ok(acked.length > WRITERS * WRITES_PER_WRITER * 0.9, `most writes succeeded through the failover (${acked.length})`);
  });

  it('brings the old primary back: it drops its stale files, copies the tables over FTP and rejoins in sync with identical rows', async () => {
    const old = killedPrimary;
    await test.cluster.restart(old);
    const status = await test.waitForStatus('the old primary to rejoin in sync', (s) => groupOf(s, 'stream')?.in_sync.includes(old) === true);
    const group = groupOf(status, 'stream');
    const client = await test.client();
    await client.execute('insert into stream values (99999, 99);');
    const sql = 'select * from stream order by id;';
    const [onPrimary, onRejoined] = [await directRows(test, group?.primary as string, sql), await directRows(test, old, sql)];
    assert.ok(
      onPrimary.some((row) => row[0] === 99999),
      'a write after the rejoin reached the primary',
    );
    assert.deepEqual(onRejoined, onPrimary, "the rejoined region holds exactly the primary's rows");
  });
});

describe('replicas', () => {
  let test: TestCluster;
  after(async () => {
    await test?.stop();
  });

  it('hold every acknowledged write, applied in the same order', async () => {
    test = await TestCluster.start({ regions: 2 });
    await test.waitForStatus('group g1', (s) => s.groups.length === 1);
    const client = await test.client();
    await client.execute('create table mirrored (id int primary key, v text);');
    for (let i = 0; i < 50; i += 1) await client.execute('insert into mirrored values (?, ?);', { params: [i, `v${i}`] });
    await client.execute("update mirrored set v = 'changed' where id < 10;");
    await client.execute('delete from mirrored where id >= 40;');
    const group = groupOf(await client.clusterStatus(), 'mirrored');
    const onPrimary = await directRows(test, group?.primary as string, 'select * from mirrored order by id;');
    const onReplica = await directRows(test, group?.in_sync[0] as string, 'select * from mirrored order by id;');
    assert.equal(onPrimary.length, 40);
    assert.deepEqual(onReplica, onPrimary);
  });

  it('refuse a replication message from an older epoch or from a region that is not their primary', async () => {
    const status = await (await test.client()).clusterStatus();
    const group = status.groups[0];
    const replica = group?.in_sync[0] as string;
    // The primary's own certificate: what it may claim is checked, then the epoch.
    const stub = replicationStub(test.cluster.addressOf(replica), loadTlsIdentity(test.config.certsDir, group?.primary as string));
    const stream = stub.Apply();
    const answers = new Map<number, (code: string) => void>();
    stream.on('data', (response: ApplyResponse__Output) => answers.get(response.sequence)?.(response.error?.code ?? ''));
    let sequence = 0;
    const apply = (epoch: number, primary: string) =>
      new Promise<string>((resolve) => {
        sequence += 1;
        answers.set(sequence, resolve);
        stream.write({ group_id: group?.group_id, epoch, primary_id: primary, entries: [], sequence });
      });
    try {
      assert.equal(await apply(0, group?.primary as string), 'STALE_EPOCH');
      assert.equal(await apply(group?.epoch as number, 'impostor'), 'PERMISSION_DENIED');
      assert.equal(await apply(group?.epoch as number, group?.primary as string), '');
    } finally {
      // A half-close: the replica answers everything sent and ends the stream with OK.
      const closed = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
      stream.end();
      assert.equal((await closed).code, grpc.status.OK);
      stub.close();
    }
  });

  it('when a replica dies, the master takes it out of the set and the primary keeps taking writes alone', async () => {
    const client = await test.client();
    const group = groupOf(await client.clusterStatus(), 'mirrored');
    await test.cluster.kill(group?.in_sync[0] as string);
    await test.waitForStatus('the replica to leave the set', (s) => s.groups[0]?.in_sync.length === 0);
    await client.execute("insert into mirrored values (100, 'alone');");
    assert.deepEqual((await client.execute('select v from mirrored where id = 100;')).rows, [['alone']]);
  });

  it('answer a write retried after a failover from the log: applied once', async () => {
    const fresh = await TestCluster.start({ regions: 2 });
    try {
      await fresh.waitForStatus('group g1', (s) => s.groups.length === 1);
      const client = await fresh.client();
      await client.execute('create table once (id int primary key, n int);');
      await client.execute('insert into once values (1, 0);');
      const first = await client.execute('update once set n = n + 1 where id = 1;', { requestId: 'retry-me' });
      const primary = groupOf(await client.clusterStatus(), 'once')?.primary as string;
      await fresh.cluster.kill(primary);
      const retry = await client.execute('update once set n = n + 1 where id = 1;', { requestId: 'retry-me' });
      assert.equal(retry.rowsAffected, first.rowsAffected);
      assert.deepEqual((await client.execute('select n from once;')).rows, [[1]]);
      assert.notEqual(groupOf(await client.clusterStatus(), 'once')?.primary, primary);
    } finally {
      await fresh.stop();
    }
  });
});

describe('a primary cut off from etcd', () => {
  let test: TestCluster;
  let proxy: TcpProxy;
  let isolated: ReadyProcess | undefined;
  after(async () => {
    await isolated?.stop('SIGKILL');
    await proxy?.close();
    await test?.stop();
  });

  it('stops acknowledging within its lease, and the replica takes over', async () => {
    test = await TestCluster.start({ regions: 2, leaseTtlSeconds: 1, only: ['master1', 'region2'] });
    const etcdHost = test.config.hosts.find((h) => h.roles.includes('etcd'));
    proxy = await TcpProxy.start(etcdHost?.ports.etcdClient as number);
    isolated = await ReadyProcess.start({
      script: REGION_MAIN,
      args: ['--config', test.configPath, '--etcd-endpoints', proxy.url],
      env: { ...process.env, THIS_NAME: 'region1', MINISQL_LOG_LEVEL: 'warn' },
    });
    await test.waitForStatus('group g1 led by region1', (s) => s.groups[0]?.primary === 'region1');
    const client = await test.client();
    await client.execute('create table fenced (id int primary key);');
    await client.execute('insert into fenced values (1);');
    const direct = await MiniSqlClient.connect({ regionAddress: isolated.address, ...test.tlsOption });
    try {
      proxy.cut();
      const cutAt = performance.now();
      // Written straight to the isolated primary: refused once its lease may have expired.
      let refusedAfterMs = -1;
      let id = 2;
      for (; refusedAfterMs < 0 && performance.now() - cutAt < 5_000; id += 1) {
        await direct.execute('insert into fenced values (?);', { params: [id], timeoutMs: 2_000 }).catch((error: { code?: string }) => {
          if (error.code === 'NOT_PRIMARY' || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT') refusedAfterMs = performance.now() - cutAt;
        });
      }
      assert.ok(refusedAfterMs >= 0, 'the isolated primary stopped acknowledging');
      assert.ok(refusedAfterMs <= 1_000 + 1_000, `it stopped within TTL + 1 s (${refusedAfterMs.toFixed(0)} ms)`);
      // An id past every one the loop tried (it may write a thousand or more before the
      // lease runs out), so this insert cannot collide with one of them.
      const afterFailover = id + 1;
      await client.execute('insert into fenced values (?);', { params: [afterFailover] });
      const status = await client.clusterStatus();
      assert.equal(status.groups[0]?.primary, 'region2');
      assert.equal(status.groups[0]?.epoch, 2);
      const ids = (await client.execute('select id from fenced;')).rows.map((r) => r[0]);
      assert.ok(ids.includes(1) && ids.includes(afterFailover));
    } finally {
      direct.close();
    }
  });
});

describe('a primary paused with a read in its socket', () => {
  let test: TestCluster;
  let paused: number | undefined;
  after(async () => {
    if (paused !== undefined) process.kill(paused, 'SIGCONT');
    await test?.stop();
  });

  it('refuses that read when it runs again after the failover, instead of answering from its stale copy', async () => {
    test = await TestCluster.start({ regions: 2, leaseTtlSeconds: 1 });
    await test.waitForStatus('group g1 with an in-sync replica', (s) => s.groups[0]?.in_sync.length === 1);
    const client = await test.client();
    await client.execute('create table held (id int primary key, v text);');
    await client.execute("insert into held values (1, 'before');");
    const old = (await client.clusterStatus()).groups[0]?.primary as string;
    const direct = await MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(old), ...test.tlsOption });
    try {
      // The connection is open and logged in: the read below goes straight into its socket.
      assert.deepEqual((await direct.execute('select v from held where id = 1;')).rows, [['before']]);
      paused = test.cluster.list().find((p) => p.name === old)?.pid;
      assert.ok(paused !== undefined, `no process for ${old}`);
      process.kill(paused, 'SIGSTOP');
      const heldRead = direct.execute('select v from held where id = 1;', { timeoutMs: 20_000 }).then(
        (result) => ({ answered: result.rows }),
        (error: { code?: string }) => ({ refused: error.code }),
      );
      const status = await test.waitForStatus('the other region to lead g1', (s) => s.groups[0]?.primary !== undefined && s.groups[0].primary !== old);
      // Written on the new primary itself: the cluster client's routes still name the
      // paused one, where a write would wait out its statement time.
      const successor = await MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(status.groups[0]?.primary as string), ...test.tlsOption });
      try {
        await successor.execute("update held set v = 'after' where id = 1;");
        process.kill(paused, 'SIGCONT');
        paused = undefined;
        const outcome = await heldRead;
        // Its lease ran out while it was stopped: the first thing it does on waking may be
        // to read that statement, before any timer of its own has run.
        assert.ok('refused' in outcome, `the paused primary answered ${JSON.stringify(outcome)} after a write it never saw`);
        assert.ok(['NOT_PRIMARY', 'UNAVAILABLE'].includes(outcome.refused as string), `refused with ${outcome.refused}`);
        assert.deepEqual((await successor.execute('select v from held where id = 1;')).rows, [['after']]);
      } finally {
        successor.close();
      }
    } finally {
      direct.close();
    }
  });
});

describe('strict replication', () => {
  let test: TestCluster;
  after(async () => {
    await test?.stop();
  });

  it('refuses writes while the group has no in-sync replica, and takes them again once one has caught up', async () => {
    test = await TestCluster.start({ regions: 2, strictReplication: true });
    await test.waitForStatus('group g1', (s) => s.groups[0]?.in_sync.length === 1);
    const client = await test.client();
    await client.execute('create table strict (id int primary key);');
    await client.execute('insert into strict values (1);');
    const group = groupOf(await client.clusterStatus(), 'strict');
    await test.cluster.kill(group?.in_sync[0] as string);
    await test.waitForStatus('the replica to leave the set', (s) => s.groups[0]?.in_sync.length === 0);
    const direct = await MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(group?.primary as string), ...test.tlsOption });
    try {
      await assert.rejects(direct.execute('insert into strict values (2);'), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'NOT_ENOUGH_REPLICAS');
        assert.match(error.message, /group g1 has no in-sync replica and strictReplication is on/);
        return true;
      });
      assert.deepEqual((await direct.execute('select id from strict;')).rows, [[1]]);
    } finally {
      direct.close();
    }
    await test.cluster.restart(group?.in_sync[0] as string);
    await test.waitForStatus('the replica to rejoin', (s) => s.groups[0]?.in_sync.length === 1);
    await client.execute('insert into strict values (3);');
    assert.deepEqual((await client.execute('select id from strict order by id;')).rows, [[1], [3]]);
  });
});
