/**
 * Who gets in, with real processes, real TLS and real FTP: a cluster started as
 * `npm start` starts it (TLS on), then callers without a certificate, with a certificate
 * of another cluster, and with a region's own certificate claiming to be another region.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { EventEmitter, once } from 'node:events';
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
  hostAndPort,
  loadProtos,
  type ApplyResponse__Output,
  type ExecuteResultFrame__Output,
  type ReplicationServiceClient,
  type TlsIdentity,
} from '@minisql/common';
import { frame, FrameReader, MESSAGE_BYTES_MAX, replicationStub, STATEMENT_ALPN, WAITING_CONNECTIONS_DEFAULT } from '@minisql/wire';
import { TestCluster } from './support/test-cluster.js';

let test: TestCluster;
const STATUS_TOKEN = 'status-token-for-the-test-4711';
let strangerDir: string;
/** The client certificate of another cluster with the same host names. */
let stranger: TlsIdentity;
let group: { id: string; epoch: number; primary: string; replica: string };

before(async () => {
  strangerDir = mkdtempSync(join(tmpdir(), 'minisql-other-cluster-'));
  writeFileSync(join(strangerDir, 'status.token'), STATUS_TOKEN, { mode: 0o600 });
  test = await TestCluster.start({ regions: 3, statusTokenFile: join(strangerDir, 'status.token') });
  makeCertificates(strangerDir, certificatePlan(test.config));
  stranger = loadTlsIdentity(strangerDir, CLIENT_CERT_NAME);
  // A table goes to a group: there must be one first.
  await test.waitForStatus('a group with an in-sync replica', (s) => s.groups.some((g) => g.in_sync.length === 1));
  const client = await test.client();
  await client.execute('create table guarded (id int primary key, v text);');
  await client.execute("insert into guarded values (1, 'kept');");
  const status = await test.waitForStatus('a group with an in-sync replica', (s) =>
    s.groups.some((g) => g.in_sync.length === 1 && g.tables.includes('guarded')),
  );
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
      const entry = {
        table: 'guarded',
        position: 1_000_000,
        request_id: 'forged',
        sql,
        params: [],
        rows_affected: 1,
        now_ms: Date.now(),
        seed: '0',
        checksum: '',
      };
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
    await assert.rejects(
      ClusterClient.connect({ masterAddresses: test.masterAddresses, masterFailoverWaitMs: 500 }),
      (error: MiniSqlError) => error.code === 'MASTER_UNREACHABLE',
    );
    await assert.rejects(
      MiniSqlClient.connect({ regionAddress: test.cluster.addressOf(group.primary), connectTimeoutMs: 1_000 }),
      (error: MiniSqlError) => error.code === 'UNAVAILABLE',
    );
  });

  it("is not let in with another cluster's certificate, even under the same names", async () => {
    await assert.rejects(
      ClusterClient.connect({ masterAddresses: test.masterAddresses, masterFailoverWaitMs: 500, tls: stranger }),
      (error: MiniSqlError) => error.code === 'MASTER_UNREACHABLE',
    );
    const forged = { ...loadTlsIdentity(strangerDir, group.primary), ca: test.tls?.ca as Buffer };
    await assert.rejects(
      applyOnce(replicationStub(test.cluster.addressOf(group.replica), forged), group.primary, "update guarded set v = 'forged'"),
      (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE,
    );
  });
});

describe("a host flooding the master's port with connections that never finish a handshake", () => {
  it('has only its per-host bound kept open, the rest closed at once, and every other host is served', { timeout: 30_000 }, async () => {
    const [host, port] = [test.masterAddresses[0]?.split(':')[0] ?? '', Number(test.masterAddresses[0]?.split(':')[1])];
    const flood = WAITING_CONNECTIONS_DEFAULT.perHostMax + 12;
    const sockets = [];
    let closed = 0;
    const closes = new EventEmitter();
    try {
      // From 127.0.0.2: another host to the master on 127.0.0.1.
      for (let i = 0; i < flood; i += 1) {
        const socket = createConnection({ host, port, localAddress: '127.0.0.2' });
        sockets.push(socket);
        socket.on('error', () => undefined);
        socket.once('close', () => {
          closed += 1;
          closes.emit('closed');
        });
        await once(socket, 'connect');
      }
      while (closed < flood - WAITING_CONNECTIONS_DEFAULT.perHostMax) await once(closes, 'closed');
      assert.equal(closed, flood - WAITING_CONNECTIONS_DEFAULT.perHostMax, 'exactly the per-host bound stays open');
      const admin = await test.client();
      assert.ok((await admin.clusterStatus()).groups.length > 0, 'the master answers a client from 127.0.0.1 meanwhile');
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe("a region's certificate claiming to be another region", () => {
  it("cannot write into a replica's log as the group's primary: Apply is refused with PERMISSION_DENIED", async () => {
    const spare = ['region1', 'region2', 'region3'].find((r) => r !== group.primary && r !== group.replica) as string;
    const code = await applyOnce(
      replicationStub(test.cluster.addressOf(group.replica), loadTlsIdentity(test.config.certsDir, spare)),
      group.primary,
      "update guarded set v = 'forged'",
    );
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
      const snapshot = await unary<{ error?: { code: string } | null; ftp_password?: string }>((done) =>
        stub.Snapshot({ group_id: group.id, epoch: group.epoch, replica_id: 'region9' }, done),
      );
      assert.equal(snapshot.error?.code, 'PERMISSION_DENIED');
      assert.equal(snapshot.ftp_password ?? '', '', 'no login handed out');
      const joined = await unary<{ error?: { code: string; message: string } | null }>((done) =>
        stub.Join({ group_id: group.id, epoch: group.epoch, replica_id: 'region9', positions: [], files: [] }, done),
      );
      assert.equal(joined.error?.code, 'PERMISSION_DENIED');
      assert.match(joined.error?.message ?? '', new RegExp(`Join claims to come from region \`region9\`, but the certificate is \`${group.replica}\`'s`));
    } finally {
      stub.close();
    }
  });

  it('cannot change the tables of a region: create and drop table come from the master only', async () => {
    for (const name of [CLIENT_CERT_NAME, group.replica]) {
      // Even the admin user, through a client's certificate: the master changes tables, on every member.
      const direct = await MiniSqlClient.connect({
        regionAddress: test.cluster.addressOf(group.primary),
        tls: loadTlsIdentity(test.config.certsDir, name),
        ...(test.admin ? { login: test.admin } : {}),
      });
      try {
        await assert.rejects(
          direct.execute('drop table guarded;'),
          (error: MiniSqlError) => error.code === 'PERMISSION_DENIED' && /drop table on a region is for the master only/.test(error.message),
        );
        await assert.rejects(direct.execute('create table sneaky (id int primary key);'), (error: MiniSqlError) => error.code === 'PERMISSION_DENIED');
      } finally {
        direct.close();
      }
    }
    const client = await test.client();
    assert.deepEqual(
      (await client.execute('show tables;')).rows.map((row) => row[0]),
      ['guarded'],
    );
  });

  it('cannot make a primary hold still for a switchover: Handover is for the master only', async () => {
    const stub = replicationStub(test.cluster.addressOf(group.primary), loadTlsIdentity(test.config.certsDir, group.replica));
    try {
      const held = await unary<{ error?: { code: string; message: string } | null }>((done) =>
        stub.Handover({ group_id: group.id, epoch: group.epoch, target: group.replica, hold_ms: 10_000 }, done),
      );
      assert.equal(held.error?.code, 'PERMISSION_DENIED');
      assert.match(held.error?.message ?? '', /Handover is for the master only/);
    } finally {
      stub.close();
    }
    const client = await test.client();
    const started = Date.now();
    await client.execute("update guarded set v = 'kept' where id = 1;");
    assert.ok(Date.now() - started < 1_000, 'the primary did not hold still');
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

describe('users and their privileges', () => {
  const READER_PASSWORD = 'reader-passphrase-4711';
  const as = (user: string, password: string) =>
    ClusterClient.connect({ masterAddresses: test.masterAddresses, tls: test.tls, login: { user, password }, masterFailoverWaitMs: 2_000 });
  const code = (expected: string) => (error: MiniSqlError) => error.code === expected;

  before(async () => {
    const admin = await test.client();
    await admin.execute(`create user reader identified by '${READER_PASSWORD}';`);
    await admin.execute('grant read on guarded to reader;');
  });

  it('a read-only user reads its table and can write nothing, nor change tables or users', async () => {
    const reader = await as('reader', READER_PASSWORD);
    try {
      assert.deepEqual((await reader.execute('select v from guarded where id = 1;')).rows, [['kept']]);
      await assert.rejects(
        reader.execute("insert into guarded values (2, 'no');"),
        (error: MiniSqlError) => error.code === 'PERMISSION_DENIED' && /user `reader`: insert needs write on table `guarded`/.test(error.message),
      );
      await assert.rejects(reader.execute('update guarded set v = 1;'), code('PERMISSION_DENIED'));
      await assert.rejects(reader.execute('create table mine (id int primary key);'), code('PERMISSION_DENIED'));
      await assert.rejects(reader.execute("create user other identified by 'another-passphrase-1';"), code('PERMISSION_DENIED'));
      assert.deepEqual((await reader.execute('show grants;')).rows, [['read', 'guarded']]);
    } finally {
      reader.close();
    }
    const admin = await test.client();
    assert.equal((await admin.execute('select count(*) from guarded;')).rows[0]?.[0], 1, 'nothing was written');
  });

  it('a grant and its revocation apply to the next statements of a session already open', async () => {
    const admin = await test.client();
    const reader = await as('reader', READER_PASSWORD);
    // The regions learn of a change through their etcd watch: a few milliseconds.
    const eventually = async (what: string, attempt: () => Promise<boolean>) => test.waitFor(what, async () => ((await attempt()) ? true : undefined), 2_000);
    try {
      await reader.execute('select v from guarded;');
      await admin.execute('grant write on guarded to reader;');
      await eventually('the grant to reach the regions', () =>
        reader.execute("insert into guarded values (3, 'granted');").then(
          () => true,
          () => false,
        ),
      );
      await admin.execute('revoke write on guarded from reader;');
      await eventually('the revocation to reach the regions', () =>
        // The same value each time: an attempt that lands before the revocation changes nothing.
        reader.execute("update guarded set v = 'granted' where id = 3;").then(
          () => false,
          (error: MiniSqlError) => error.code === 'PERMISSION_DENIED',
        ),
      );
      await admin.execute('delete from guarded where id = 3;');
    } finally {
      reader.close();
    }
  });

  it('a wrong password, or none, is refused, and the refusal is slowed down', async () => {
    const started = performance.now();
    await assert.rejects(
      as('reader', 'not-the-password-at-all'),
      (error: MiniSqlError) => error.code === 'UNAUTHENTICATED' && /user `reader` is not authenticated: wrong user name or password/.test(error.message),
    );
    assert.ok(performance.now() - started >= 900, `answered after ${Math.round(performance.now() - started)} ms`);
    await assert.rejects(as('nobody', 'not-the-password-at-all'), code('UNAUTHENTICATED'));
    await assert.rejects(ClusterClient.connect({ masterAddresses: test.masterAddresses, tls: test.tls, masterFailoverWaitMs: 2_000 }), code('UNAUTHENTICATED'));
    const region = await MiniSqlClient.connect({
      regionAddress: test.cluster.addressOf(group.primary),
      tls: test.tls,
      login: { user: 'reader', password: 'not-the-password-at-all' },
    });
    try {
      await assert.rejects(region.execute('select v from guarded;'), code('UNAUTHENTICATED'));
    } finally {
      region.close();
    }
  });

  it('the statement protocol checks the login of its first frame as the gRPC stream does: a wrong password, or no user, runs nothing', async () => {
    const { requestSerialize, responseDeserialize } = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;
    const { host, port } = hostAndPort(test.cluster.addressOf(group.primary));
    /** The answer to one select sent as `user` with `password` on a connection of the statement protocol. */
    const answerAs = async (user: string, password: string) => {
      const socket = tlsConnect({ host, port, ...(test.tls as TlsIdentity), ALPNProtocols: [STATEMENT_ALPN] });
      socket.on('error', () => undefined);
      const answers: ExecuteResultFrame__Output[] = [];
      const reader = new FrameReader(
        (bytes) => answers.push(responseDeserialize(bytes)),
        () => assert.fail('a frame past the bound'),
        MESSAGE_BYTES_MAX,
      );
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      await once(socket, 'secureConnect');
      assert.equal(socket.alpnProtocol, STATEMENT_ALPN);
      socket.write(frame(requestSerialize({ login: { user, password }, requests: [{ sql: 'select v from guarded where id = 1;', sequence: 1 }] })));
      while (answers.length === 0) await once(socket, 'data');
      socket.destroy();
      return answers[0]?.responses[0];
    };
    const refused = await answerAs('reader', 'not-the-password-at-all');
    assert.equal(refused?.error?.code, 'UNAUTHENTICATED');
    assert.match(refused?.error?.message ?? '', /user `reader`/);
    assert.ok(!refused?.result, 'a refused statement brought rows');
    // A client's certificate alone (an empty login) is nobody: it must log in.
    const nobody = await answerAs('', '');
    assert.equal(nobody?.error?.code, 'UNAUTHENTICATED');
    assert.match(nobody?.error?.message ?? '', /no user given/);
    assert.ok(!nobody?.result, 'a statement without a user brought rows');
    const answered = await answerAs('reader', READER_PASSWORD);
    assert.ok(!answered?.error, answered?.error?.message);
    assert.equal(answered?.result?.rows[0]?.values[0]?.text, 'kept');
  });

  it('refuses placeholder, short and overlong passwords, and keeps the last admin', async () => {
    const admin = await test.client();
    await assert.rejects(
      admin.execute("create user weak identified by 'change-me-before-use';"),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /known placeholder/.test(error.message),
    );
    await assert.rejects(
      admin.execute("create user weak identified by 'short';"),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /shorter than 10 characters/.test(error.message),
    );
    await assert.rejects(
      admin.execute(`create user weak identified by '${'long-pass-'.repeat(103)}';`),
      (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /longer than 1024 characters/.test(error.message),
    );
    await assert.rejects(admin.execute('drop user admin;'), (error: MiniSqlError) => error.code === 'INVALID_ARGUMENT' && /last admin/.test(error.message));
    await assert.rejects(admin.execute('drop user nobody;'), code('USER_NOT_FOUND'));
    await assert.rejects(admin.execute(`create user reader identified by '${READER_PASSWORD}';`), code('USER_EXISTS'));
  });

  it('a user changes its own password; the old one no longer opens anything', async () => {
    const reader = await as('reader', READER_PASSWORD);
    try {
      await assert.rejects(reader.execute("alter user admin identified by 'taking-over-the-admin';"), code('PERMISSION_DENIED'));
      await reader.execute("alter user reader identified by 'reader-second-passphrase';");
    } finally {
      reader.close();
    }
    await assert.rejects(as('reader', READER_PASSWORD), code('UNAUTHENTICATED'));
    (await as('reader', 'reader-second-passphrase')).close();
    const admin = await test.client();
    await admin.execute(`alter user reader identified by '${READER_PASSWORD}';`);
  });

  it('no password is kept in clear: not in etcd, not in any log', async () => {
    const etcd = test.etcdAdmin();
    try {
      const stored = Object.values(await etcd.getAll().prefix(new EtcdKeys(test.config.etcdPrefix).users).strings()).join('\n');
      assert.match(stored, /"name":"reader"/);
      assert.match(stored, /"hash":"[A-Za-z0-9+/=]{40,}"/);
      for (const password of [READER_PASSWORD, 'reader-second-passphrase', test.admin?.password as string])
        assert.ok(!stored.includes(password), 'a password in etcd');
    } finally {
      etcd.close();
    }
    const logs = join(test.config.dataDir, 'logs');
    for (const file of readdirSync(logs)) {
      const text = readFileSync(join(logs, file), 'utf8');
      for (const password of [READER_PASSWORD, 'reader-second-passphrase', 'not-the-password-at-all', test.admin?.password as string]) {
        assert.ok(!text.includes(password), `a password in ${file}`);
      }
    }
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
    await refusedWith(
      etcdAs(loadTlsIdentity(test.config.certsDir, group.replica)),
      (etcd) => etcd.put(keys.table('guarded')).value('{}').exec(),
      /permission denied/i,
    );
    await refusedWith(
      etcdAs(loadTlsIdentity(test.config.certsDir, group.replica)),
      (etcd) => etcd.delete().key(keys.region(group.primary)).exec(),
      /permission denied/i,
    );
    const admin = test.etcdAdmin();
    try {
      assert.ok(await admin.get(keys.region(group.primary)).string(), "the primary's registration is untouched");
    } finally {
      admin.close();
    }
  });
});

describe("the master's status page", () => {
  it('answers over HTTPS only, and only with its token', async () => {
    assert.equal((await test.statusPage('/')).status, 401);
    assert.equal((await test.statusPage('/metrics', { authorization: 'Bearer wrong-token-of-the-same-size' })).status, 401);
    const page = await test.statusPage('/metrics', { authorization: `Bearer ${STATUS_TOKEN}` });
    assert.equal(page.status, 200);
    assert.match(page.body, /^minisql_master_leading 1$/m);
    assert.equal((await test.statusPage(`/?token=${STATUS_TOKEN}`)).status, 200);
    const master = test.config.hosts.find((h) => h.roles.includes('master'));
    await assert.rejects(fetch(`http://127.0.0.1:${master?.ports.status}/?token=${STATUS_TOKEN}`));
  });
});

describe("the operator's commands", () => {
  const CLUSTER_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
  const run = (...args: string[]) => execFileSync(process.execPath, [CLUSTER_MAIN, ...args, '--config', test.configPath], { encoding: 'utf8' });

  it('certs makes an authority and a certificate for every host and for clients, and keeps what exists', () => {
    const out = join(strangerDir, 'operator-certs');
    assert.match(run('certs', '--out', out), /made ca, etcd0, master1, region1, region2, region3, client/);
    assert.match(run('certs', '--out', out), /made nothing; kept ca, etcd0, master1, region1, region2, region3, client/);
    assert.equal(statSync(join(out, 'region1.key')).mode & 0o777, 0o600);
  });

  it('init turns etcd authentication on and makes the first admin once, and says so when it was done', () => {
    assert.match(run('init'), /initialised before: nothing to do/);
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
