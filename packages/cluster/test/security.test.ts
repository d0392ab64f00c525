/**
 * Who gets in, with real processes, real TLS and real FTP: a cluster started as
 * `npm start` starts it (TLS on), then callers without a certificate, with a certificate
 * of another cluster, and with a region's own certificate claiming to be another region.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createConnection } from 'node:net';
import { ClusterClient, divergence, MiniSqlClient } from '@minisql/client';
import { Etcd3 } from 'etcd3';
import {
  certificatePlan,
  etcdOptions,
  EtcdKeys,
  CLIENT_CERT_NAME,
  loadTlsIdentity,
  makeCertificates,
  MiniSqlError,
  replicationStub,
  type ApplyResponse__Output,
  type ReplicationServiceClient,
  type TlsIdentity,
} from '@minisql/common';
import { TestCluster } from './support/test-cluster.js';

let test: TestCluster;
let strangerDir: string;
/** The client certificate of another cluster with the same host names. */
let stranger: TlsIdentity;
let group: { id: string; epoch: number; primary: string; replica: string };

before(async () => {
  test = await TestCluster.start({ regions: 3 });
  strangerDir = mkdtempSync(join(tmpdir(), 'minisql-other-cluster-'));
  makeCertificates(strangerDir, certificatePlan(test.config));
  stranger = loadTlsIdentity(strangerDir, CLIENT_CERT_NAME);
  const client = await test.client();
  await client.execute('create table guarded (id int primary key, v text);');
  await client.execute("insert into guarded values (1, 'kept');");
  const status = await test.waitForStatus('a group with an in-sync replica', (s) => s.groups.some((g) => g.in_sync.length === 1 && g.tables.includes('guarded')));
  const formed = status.groups.find((g) => g.tables.includes('guarded'));
  group = { id: formed?.group_id as string, epoch: formed?.epoch as number, primary: formed?.primary as string, replica: formed?.in_sync[0] as string };
});

after(async () => {
  await test?.stop();
  rmSync(strangerDir, { recursive: true, force: true });
});

/** Sends one Apply batch on its own stream and returns the code it was answered with ('' for applied). */
async function applyOnce(stub: ReplicationServiceClient, primaryId: string, sql: string): Promise<string> {
  const stream = stub.Apply();
  try {
    return await new Promise<string>((resolve, reject) => {
      stream.on('data', (response: ApplyResponse__Output) => resolve(response.error?.code ?? ''));
      stream.on('error', reject);
      const entry = { table: 'guarded', position: 1_000_000, request_id: 'forged', sql, params: [], rows_affected: 1, now_ms: Date.now(), seed: '0', checksum: '' };
      stream.write({ group_id: group.id, epoch: group.epoch, primary_id: primaryId, entries: [entry], sequence: 1 });
    });
  } finally {
    stream.cancel();
    stub.close();
  }
}

function unary<T>(start: (done: (error: grpc.ServiceError | null, response?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, response) => (error ? reject(error) : resolve(response as T))));
}

describe('a caller without a certificate of this cluster', () => {
  it('is not let in by a master or a region: plaintext is refused', async () => {
    await assert.rejects(ClusterClient.connect({ masterAddresses: test.masterAddresses, masterFailoverWaitMs: 500 }), (error: MiniSqlError) => error.code === 'MASTER_UNREACHABLE');
    await assert.rejects(MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(group.primary), connectTimeoutMs: 1_000 }), (error: MiniSqlError) => error.code === 'UNAVAILABLE');
  });

  it("is not let in with another cluster's certificate, even under the same names", async () => {
    await assert.rejects(ClusterClient.connect({ masterAddresses: test.masterAddresses, masterFailoverWaitMs: 500, tls: stranger }), (error: MiniSqlError) => error.code === 'MASTER_UNREACHABLE');
    const forged = { ...loadTlsIdentity(strangerDir, group.primary), ca: test.tls?.ca as Buffer };
    await assert.rejects(applyOnce(replicationStub(test.cluster.addressOf(group.replica), forged), group.primary, "update guarded set v = 'forged'"), (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE);
  });
});

describe("a region's certificate claiming to be another region", () => {
  it("cannot write into a replica's log as the group's primary: Apply is refused with PERMISSION_DENIED", async () => {
    const spare = ['region1', 'region2', 'region3'].find((r) => r !== group.primary && r !== group.replica) as string;
    const code = await applyOnce(replicationStub(test.cluster.addressOf(group.replica), loadTlsIdentity(test.config.certsDir, spare)), group.primary, "update guarded set v = 'forged'");
    assert.equal(code, 'PERMISSION_DENIED');
    const client = await test.client();
    assert.deepEqual((await client.execute('select v from guarded where id = 1;')).rows, [['kept']]);
    const verifications = await client.verify('guarded');
    assert.equal(divergence(verifications), undefined, 'every member holds the same rows');
    assert.equal(verifications[0]?.members.length, 2);
  });

  it('cannot join a group, or take its snapshots, as another region', async () => {
    const replicaCert = loadTlsIdentity(test.config.certsDir, group.replica);
    const stub = replicationStub(test.cluster.addressOf(group.primary), replicaCert);
    try {
      const snapshot = await unary<{ error?: { code: string } | null; ftp_password?: string }>((done) => stub.Snapshot({ group_id: group.id, epoch: group.epoch, replica_id: 'region9' }, done));
      assert.equal(snapshot.error?.code, 'PERMISSION_DENIED');
      assert.equal(snapshot.ftp_password ?? '', '', 'no login handed out');
      const joined = await unary<{ error?: { code: string; message: string } | null }>((done) => stub.Join({ group_id: group.id, epoch: group.epoch, replica_id: 'region9', positions: [], files: [] }, done));
      assert.equal(joined.error?.code, 'PERMISSION_DENIED');
      assert.match(joined.error?.message ?? '', new RegExp(`Join claims to come from region \`region9\`, but the certificate is \`${group.replica}\`'s`));
    } finally {
      stub.close();
    }
  });

  it('cannot change the tables of a region: create and drop table come from the master only', async () => {
    for (const name of [CLIENT_CERT_NAME, group.replica]) {
      const direct = await MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(group.primary), tls: loadTlsIdentity(test.config.certsDir, name) });
      try {
        await assert.rejects(direct.execute('drop table guarded;'), (error: MiniSqlError) => error.code === 'PERMISSION_DENIED' && /drop table on a region is for the master only/.test(error.message));
        await assert.rejects(direct.execute('create table sneaky (id int primary key);'), (error: MiniSqlError) => error.code === 'PERMISSION_DENIED');
      } finally {
        direct.close();
      }
    }
    const client = await test.client();
    assert.deepEqual((await client.execute('show tables;')).rows.map((row) => row[0]), ['guarded']);
  });

  it("cannot watch a region's health as a client", async () => {
    const stub = replicationStub(test.cluster.addressOf(group.primary), test.tls);
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = stub.Health({ interval_ms: 100 });
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', resolve);
    });
    stub.close();
    assert.equal(status.code, grpc.status.PERMISSION_DENIED);
  });
});

describe("the cluster's etcd", () => {
  const etcdAs = (tls: TlsIdentity | undefined, endpoints = test.config.etcdEndpoints) => new Etcd3(etcdOptions(endpoints, tls));
  const refusedWith = async (etcd: Etcd3, work: (etcd: Etcd3) => Promise<unknown>, pattern: RegExp) => {
    try {
      await assert.rejects(work(etcd), (error: Error) => pattern.test(error.message));
    } finally {
      etcd.close();
    }
  };

  it('refuses plaintext, and certificates of another cluster', async () => {
    const plaintext = test.config.etcdEndpoints.map((url) => url.replace('https://', 'http://'));
    await refusedWith(etcdAs(undefined, plaintext), (etcd) => etcd.get(`${test.config.etcdPrefix}tables/guarded`).string(), /.+/);
    await refusedWith(etcdAs({ ...stranger, ca: test.tls?.ca as Buffer }), (etcd) => etcd.get(`${test.config.etcdPrefix}tables/guarded`).string(), /.+/);
  });

  it("gives a client's certificate no rights at all", async () => {
    await refusedWith(etcdAs(test.tls), (etcd) => etcd.get(`${test.config.etcdPrefix}tables/guarded`).string(), /permission denied|user name not found/i);
  });

  it("lets a region read the view, but not change the catalog or another region's registration", async () => {
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const region = etcdAs(loadTlsIdentity(test.config.certsDir, group.replica));
    try {
      assert.ok(await region.get(keys.table('guarded')).string(), 'a region reads the catalog');
    } finally {
      region.close();
    }
    await refusedWith(etcdAs(loadTlsIdentity(test.config.certsDir, group.replica)), (etcd) => etcd.put(keys.table('guarded')).value('{}').exec(), /permission denied/i);
    await refusedWith(etcdAs(loadTlsIdentity(test.config.certsDir, group.replica)), (etcd) => etcd.delete().key(keys.region(group.primary)).exec(), /permission denied/i);
    const admin = test.etcdAdmin();
    try {
      assert.ok(await admin.get(keys.region(group.primary)).string(), "the primary's registration is untouched");
    } finally {
      admin.close();
    }
  });
});

describe("the regions' FTP servers", () => {
  it('refuse a login in clear', async () => {
    const host = test.config.hosts.find((h) => h.name === group.primary);
    // The FTP conversation by hand, as any FTP client in clear would start it.
    const socket = createConnection({ host: '127.0.0.1', port: host?.ports.ftp as number });
    let received = '';
    const replyTo = (command: string | null, code: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${code} reply; got ${received}`)), 5_000);
        const check = (): void => {
          const line = received.split('\r\n').find((l) => l.startsWith(code));
          if (line === undefined) return;
          clearTimeout(timer);
          socket.off('data', onData);
          resolve(line);
        };
        const onData = (chunk: Buffer): void => {
          received += chunk.toString();
          check();
        };
        socket.on('data', onData);
        if (command !== null) socket.write(`${command}\r\n`);
        check();
      });
    try {
      await replyTo(null, '220');
      await replyTo('USER copy-anything', '331');
      assert.match(await replyTo('PASS anything', '530'), /530 log in after AUTH TLS/);
    } finally {
      socket.destroy();
    }
  });
});
