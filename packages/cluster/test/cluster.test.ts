/**
 * The cluster with real etcd and real processes: registration and expiry, groups forming
 * as regions join, placement, routing, and the master surviving restarts and takeovers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MiniSqlClient } from '@minisql/client';
import { type ClusterStatusResponse__Output } from '@minisql/common';
import { masterStub } from '@minisql/wire';
import { TestCluster } from './support/test-cluster.js';

const alive = (status: ClusterStatusResponse__Output, region: string): boolean => status.regions.some((r) => r.region_id === region && r.alive);
const groupOf = (status: ClusterStatusResponse__Output, region: string): string => status.regions.find((r) => r.region_id === region)?.group_id ?? '';

describe('regions, groups and placement', () => {
  let test: TestCluster;
  before(async () => {
    test = await TestCluster.start({ regions: 4, only: ['master1', 'region1'] });
  });
  after(async () => {
    await test.stop();
  });

  it('registers a region under a lease; a lone region stays a spare', async () => {
    const status = await test.waitForStatus('region1 to register', (s) => alive(s, 'region1'));
    assert.equal(groupOf(status, 'region1'), '');
    assert.equal(status.groups.length, 0);
  });

  it('refuses a table while no group has formed, saying why', async () => {
    const client = await test.client();
    await assert.rejects(client.execute('create table early (id int primary key);'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'NO_ROUTE');
      assert.match(error.message, /no region holds table `early` yet: no replica group has formed: 1 region\(s\) registered, 2 needed/);
      return true;
    });
  });

  it('forms a primary/replica pair when a second region joins, and a second pair from the next two', async () => {
    await test.cluster.restart('region2');
    const one = await test.waitForStatus('group g1', (s) => s.groups.length === 1);
    assert.deepEqual([one.groups[0]?.primary, one.groups[0]?.in_sync], ['region1', ['region2']]);
    await test.cluster.restart('region3');
    await test.cluster.restart('region4');
    const two = await test.waitForStatus('group g2', (s) => s.groups.length === 2);
    assert.deepEqual(
      two.groups.map((g) => [g.group_id, g.epoch, g.primary, g.in_sync]),
      [
        ['g1', 1, 'region1', ['region2']],
        ['g2', 1, 'region3', ['region4']],
      ],
    );
  });

  it('spreads tables over the groups, least loaded first', async () => {
    const client = await test.client();
    for (const name of ['t1', 't2', 't3', 't4']) await client.execute(`create table ${name} (id int primary key, v text);`);
    const status = await client.clusterStatus();
    assert.deepEqual(
      status.groups.map((g) => g.tables.length),
      [2, 2],
    );
  });

  it("routes each statement to the primary of the table's group, and the table lives on that group only", async () => {
    const client = await test.client();
    await client.execute("insert into t1 values (1, 'one');");
    assert.deepEqual((await client.execute('select v from t1 where id = 1;')).rows, [['one']]);
    const status = await client.clusterStatus();
    const group = status.groups.find((g) => g.tables.includes('t1'));
    assert.ok(group);
    const address = (id: string) => status.regions.find((r) => r.region_id === id)?.grpc_address as string;
    const primary = await MiniSqlClient.connect({ regionAddress: address(group.primary), ...test.tlsOption });
    const replica = await MiniSqlClient.connect({ regionAddress: address(group.in_sync[0] as string), ...test.tlsOption });
    const otherGroup = status.groups.find((g) => g.group_id !== group.group_id);
    const other = await MiniSqlClient.connect({ regionAddress: address(otherGroup?.primary as string), ...test.tlsOption });
    try {
      assert.deepEqual((await primary.execute('select v from t1;')).rows, [['one']]);
      assert.deepEqual((await replica.execute('show tables;')).rows.map((r) => r[0]).includes('t1'), true);
      // The other group's primary holds no copy, and says which group serves the table.
      await assert.rejects(other.execute('select * from t1;'), new RegExp(`table \`t1\` is served by group ${group.group_id}`));
      assert.equal((await other.execute('show tables;')).rows.map((r) => r[0]).includes('t1'), false);
    } finally {
      primary.close();
      replica.close();
      other.close();
    }
  });

  it('literal statements keep their exact values through the client, which sends their shapes: 2.0 stays REAL, the largest bigint is exact, quotes survive', async () => {
    const client = await test.client();
    await client.execute('create table literals (id bigint primary key, t text, f float);');
    await client.execute("insert into literals values (9007199254740991, 'max', 2.5);");
    await client.execute("insert into literals values (2, 'it''s', 0.25);");
    // 5 / 2.0 is 2.5; were 2.0 bound as an integer, 5 / 2 would be 2 and find row 2.
    assert.deepEqual((await client.execute('select count(*) from literals where id = 5 / 2.0;')).rows, [[0]]);
    assert.deepEqual((await client.execute('select count(*) from literals where id = 5 / 2;')).rows, [[1]]);
    assert.deepEqual((await client.execute('select t from literals where id = 9007199254740991;')).rows, [['max']]);
    assert.deepEqual((await client.execute('select count(*) from literals where id = 9007199254740990;')).rows, [[0]]);
    await assert.rejects(
      client.execute("insert into literals values (9007199254740993, 'past', 1);"),
      /9007199254740993. out of range for `bigint` column `id`/,
    );
    assert.deepEqual((await client.execute("select id, f from literals where t = 'it''s';")).rows, [[2, 0.25]]);
    await client.execute("update literals set t = 'x''y' where id = 2;");
    assert.deepEqual((await client.execute('select t from literals where id = 2;')).rows, [["x'y"]]);
    await client.execute('drop table literals;'); // the tests below count and pick tables
  });

  it('joins tables that live on different groups', async () => {
    const client = await test.client();
    const status = await client.clusterStatus();
    const [a, b] = [status.groups[0]?.tables[0] as string, status.groups[1]?.tables[0] as string];
    await client.execute(`insert into ${a} values (7, 'left');`);
    await client.execute(`insert into ${b} values (7, 'right');`);
    const rows = (await client.execute(`select x.v, y.v from ${a} x join ${b} y on x.id = y.id where x.id = 7;`)).rows;
    assert.deepEqual(rows, [['left', 'right']]);
  });

  it('answers a statement on a table that does not exist with TABLE_NOT_FOUND', async () => {
    const client = await test.client();
    await assert.rejects(
      client.execute('select * from ghost;'),
      (error: Error & { code?: string }) => error.code === 'TABLE_NOT_FOUND' && /`ghost`/.test(error.message),
    );
    await assert.rejects(client.execute('drop table ghost;'), (error: Error & { code?: string }) => error.code === 'TABLE_NOT_FOUND');
  });

  it("takes a dead replica out of its group; when it returns it copies the group's tables and rejoins in sync", async () => {
    await test.cluster.kill('region4');
    const status = await test.waitForStatus(
      'region4 to leave g2',
      (s) => !alive(s, 'region4') && s.groups.find((g) => g.group_id === 'g2')?.in_sync.length === 0,
    );
    assert.equal(groupOf(status, 'region4'), '');
    assert.equal(status.groups.find((g) => g.group_id === 'g2')?.primary, 'region3');
    await test.cluster.restart('region4');
    const back = await test.waitForStatus(
      'region4 to rejoin g2 in sync',
      (s) => s.groups.find((g) => g.group_id === 'g2')?.in_sync.includes('region4') === true,
    );
    assert.equal(groupOf(back, 'region4'), 'g2');
  });

  it('serves a status page that refreshes itself, and metrics, over HTTPS', async () => {
    const html = (await test.statusPage('/')).body;
    assert.match(html, /<meta http-equiv="refresh" content="2">/);
    assert.match(html, /Master <b>master1<\/b> leads/);
    for (const text of ['region1', 'region3', 'g1', 'g2', 't1', 'group_formed']) assert.ok(html.includes(text), `the page shows ${text}`);
    const metrics = (await test.statusPage('/metrics')).body;
    assert.match(metrics, /^minisql_master_leading 1$/m);
    assert.match(metrics, /^minisql_tables 4$/m);
    assert.match(metrics, /^minisql_group_epoch\{group="g1"\} 1$/m);
    assert.equal((await test.statusPage('/nowhere')).status, 404);
    assert.deepEqual(await test.statusPage('/health'), { status: 200, body: 'ok: leading\n' });
    assert.equal((await test.statusPage('/leader')).status, 200, 'the only master leads');
  });

  it("serves each region's metrics and the health checks a load balancer asks", async () => {
    const client = await test.client();
    await client.execute("insert into t1 values (1001, 'metrics');");
    await client.execute('select v from t1 where id = 1001;');
    const group = (await client.clusterStatus()).groups.find((g) => g.tables.includes('t1'));
    const [primary, replica] = [group?.primary as string, group?.in_sync[0] as string];
    const metrics = await test.regionEndpoint(primary, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^minisql_region_statements_total\{kind="insert",outcome="ok"\} [1-9]\d*$/m);
    assert.match(metrics.body, /^minisql_region_statement_seconds_bucket\{kind="select",le="\+Inf"\} [1-9]\d*$/m);
    assert.match(metrics.body, /^minisql_region_write_batch_writes_count [1-9]\d*$/m);
    assert.match(metrics.body, /^minisql_region_table_file_bytes\{table="t1"\} [1-9]\d*$/m);
    assert.match(metrics.body, new RegExp(`^minisql_region_is_primary\\{group="${group?.group_id}"\\} 1$`, 'm'));
    assert.equal((await test.regionEndpoint(replica, '/health')).status, 200);
    assert.equal((await test.regionEndpoint(primary, '/primary/t1')).status, 200);
    assert.equal((await test.regionEndpoint(replica, '/primary/t1')).status, 503);
  });

  it('keeps the catalog and keeps answering routes after the master is killed and restarted', async () => {
    await test.cluster.kill('master1');
    await test.cluster.restart('master1');
    const client = await test.client();
    await test.waitFor('routes from the restarted master', async () => {
      const result = await client.execute('select v from t1 where id = 1;').catch(() => undefined);
      return result?.rows.length === 1 ? result : undefined;
    });
    assert.deepEqual(
      (await client.execute('show tables;')).rows.map((r) => r[0]),
      ['t1', 't2', 't3', 't4'],
    );
    const status = await client.clusterStatus();
    assert.deepEqual(
      status.groups.map((g) => g.group_id),
      ['g1', 'g2'],
    );
  });
});

describe('two masters', () => {
  let test: TestCluster;
  before(async () => {
    test = await TestCluster.start({ regions: 2, masters: 2 });
  });
  after(async () => {
    await test.stop();
  });

  it('elects one master; the other answers NOT_LEADER and the client moves on to the leader', async () => {
    const status = await test.waitForStatus('a leader and a group', (s) => s.groups.length === 1);
    const leader = status.master_id;
    assert.ok(leader === 'master1' || leader === 'master2');
    const standby = test.config.hosts.find((h) => h.roles.includes('master') && h.name !== leader);
    const stub = masterStub(`127.0.0.1:${standby?.ports.master}`, test.tls);
    const answer = await new Promise<ClusterStatusResponse__Output | undefined>((resolve, reject) =>
      stub.GetClusterStatus({}, { deadline: Date.now() + 5_000 }, (error, response) => (error ? reject(error) : resolve(response))),
    );
    stub.close();
    assert.equal(answer?.error?.code, 'NOT_LEADER');
    assert.match(answer?.error?.message ?? '', new RegExp(`master \\\`${standby?.name}\\\` is on standby`));
    assert.equal((await test.statusPage('/leader', {}, standby?.name)).status, 503, 'a load balancer sends nobody to the standby');
    assert.equal((await test.statusPage('/leader', {}, leader)).status, 200);
    const client = await test.client();
    await client.execute('create table kept (id int primary key, v text);');
    await client.execute("insert into kept values (1, 'before takeover');");
  });

  it('lets the standby take over when the leader dies, with the metadata intact', async () => {
    const first = await test.waitForStatus('a leader', () => true);
    await test.cluster.kill(first.master_id);
    const next = await test.waitForStatus('the standby to lead', (s) => s.master_id !== first.master_id);
    assert.notEqual(next.master_id, first.master_id);
    const client = await test.client();
    assert.deepEqual((await client.execute('select v from kept;')).rows, [['before takeover']]);
    await client.execute('create table after_takeover (id int primary key);');
    assert.deepEqual(
      (await client.execute('show tables;')).rows.map((r) => r[0]),
      ['after_takeover', 'kept'],
    );
    await test.cluster.restart(first.master_id);
  });
});
