/**
 * The replica's half of catching up (CatchUp), against a primary made of real parts: a
 * gRPC ReplicationService over TLS whose Snapshot hands out a real snapshot of a real
 * table file, and the snapshot FTP server over FTPS. The primary's side is the test's:
 * it counts Joins. What is proved: a region that became a spare while it copied (its
 * assignment ended, and RegionServer discarded its tables) installs nothing and never
 * joins; the same copy left alone installs the table and joins once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePort, loadProtos, loadTlsIdentity, Logger, makeCertificates, serverCredentials, type GroupRecord, type TlsIdentity } from '@minisql/common';
import { CopyProgress } from '../src/copy-progress.js';
import { FtpLogins } from '../src/ftp-logins.js';
import { CatchUp } from '../src/group-join.js';
import type { GroupMembership } from '../src/group-membership.js';
import type { GroupRole } from '../src/group-role.js';
import { SnapshotFtpServer } from '../src/snapshot-ftp-server.js';
import { SnapshotStore } from '../src/snapshot-store.js';
import { openEngine, removeEngines, selectRows } from './support/engine-fixture.js';

const work = mkdtempSync(join(tmpdir(), 'minisql-catch-up-'));
const group: GroupRecord = {
  id: 'g1',
  epoch: 3,
  primary: 'region1',
  primaryIncarnation: 'inc-1',
  inSync: [],
  catchingUp: ['region2'],
  assignments: { region2: 'a1' },
};
const replicaRole: GroupRole = { kind: 'replica', group, inSync: false };

let primaryTls: TlsIdentity;
let replicaTls: TlsIdentity;
let grpcServer: grpc.Server | undefined;
let ftpServer: SnapshotFtpServer | undefined;
let grpcAddress = '';
let ftpAddress = '';
const joins: Array<{ replica: string; assignment: string }> = [];

before(async () => {
  const certs = join(work, 'certs');
  makeCertificates(certs, [
    { name: 'region1', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] },
    { name: 'region2', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] },
  ]);
  primaryTls = loadTlsIdentity(certs, 'region1');
  replicaTls = loadTlsIdentity(certs, 'region2');

  // The primary's table, snapshotted as the JoinCoordinator does it, into its FTP folder.
  const primary = openEngine();
  primary.engine.execute('create table kv (k int primary key, v text);');
  for (let k = 0; k < 3; k++) primary.engine.execute('insert into kv values (?, ?);', [BigInt(k), `value ${k}`]);
  const root = join(work, 'snapshots');
  const snapshots = await new SnapshotStore(primary.catalog, root).snapshotAll('region2');
  const logins = new FtpLogins();

  const ftpPort = await freePort();
  const passive = await freePort();
  const ftp = new SnapshotFtpServer(
    { listenAddress: `127.0.0.1:${ftpPort}`, passiveHost: '127.0.0.1', passivePortMin: passive, passivePortMax: passive + 20, root, logins, tls: primaryTls },
    new Logger('test', 'ftp', 'error', { write: () => undefined }),
  );
  ftpServer = ftp;
  await ftp.start();
  ftpAddress = `127.0.0.1:${ftpPort}`;

  const server = new grpc.Server();
  grpcServer = server;
  server.addService(loadProtos().replication.minisql.v1.ReplicationService.service, {
    Snapshot: (call: grpc.ServerUnaryCall<{ replica_id: string }, unknown>, done: grpc.sendUnaryData<unknown>) => {
      const login = logins.issue(
        call.request.replica_id,
        snapshots.map((s) => s.file),
      );
      done(null, { tables: snapshots, ftp_user: login.user, ftp_password: login.password });
    },
    Join: (call: grpc.ServerUnaryCall<{ replica_id: string; assignment: string }, unknown>, done: grpc.sendUnaryData<unknown>) => {
      joins.push({ replica: call.request.replica_id, assignment: call.request.assignment });
      done(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(primaryTls), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  grpcAddress = `127.0.0.1:${port}`;
});

/** Ends every replica's run: a run still retrying (a test that failed) would keep the process alive. */
const stopReplicas: Array<() => void> = [];

after(async () => {
  for (const stop of stopReplicas) stop();
  try {
    grpcServer?.forceShutdown();
    await ftpServer?.stop();
  } finally {
    removeEngines();
    rmSync(work, { recursive: true, force: true });
  }
});

/**
 * The replica: a real catalog, and a membership port that reads the role the test sets.
 * `settled` resolves when its run has ended: joined, or given up because the role is no
 * longer a catching-up replica. Where the copy is meant to join, the first failed try
 * rejects it (with the reason), rather than leaving the run to retry until the timeout.
 */
function replica(turnSpareDuringCopy: boolean) {
  const fixture = openEngine();
  let role: GroupRole = replicaRole;
  const warnings: string[] = [];
  let settle: () => void = () => undefined;
  let fail: (reason: Error) => void = () => undefined;
  const settled = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  stopReplicas.push(() => (role = { kind: 'spare' }));
  const membership = {
    regionId: 'region2',
    get current() {
      return role;
    },
    addressOf: () => grpcAddress,
    ftpAddressOf: () => ftpAddress,
    refresh: async () => {
      if (role.kind !== 'replica') settle();
    },
  };
  const logger = new Logger('test', 'catch-up', 'warn', {
    write: (line: string) => {
      warnings.push(line);
      if (!turnSpareDuringCopy && line.includes('catching up failed')) fail(new Error(`the copy failed: ${line}`));
    },
  });
  // Where the copy shows its bytes: the moment the region is made a spare, mid-download.
  const progress = new (class extends CopyProgress {
    override fetching(table: string, bytes: number): void {
      super.fetching(table, bytes);
      if (turnSpareDuringCopy && role.kind === 'replica') {
        role = { kind: 'spare' };
        catchUp.onRole(role);
      }
    }
    override finished(joined: boolean): void {
      super.finished(joined);
      if (joined) settle();
    }
  })();
  const catchUp = new CatchUp(
    membership as unknown as GroupMembership,
    fixture.catalog,
    fixture.queries,
    replicaTls,
    join(fixture.dataDir, 'incoming'),
    logger,
    progress,
  );
  catchUp.onRole(role);
  return { fixture, warnings, settled };
}

describe('a replica catching up over FTPS from a primary over gRPC with TLS', () => {
  it('installs the copied table and joins once, under its assignment, when nothing changes', { timeout: 30_000 }, async () => {
    joins.length = 0;
    const { fixture, settled } = replica(false);
    await settled;
    assert.deepEqual(joins, [{ replica: 'region2', assignment: 'a1' }]);
    assert.deepEqual(selectRows(fixture, 'select k, v from kv order by k;'), [
      [0, 'value 0'],
      [1, 'value 1'],
      [2, 'value 2'],
    ]);
  });

  it('installs nothing and never joins when the region became a spare during the FTP copy', { timeout: 30_000 }, async () => {
    joins.length = 0;
    const { fixture, warnings, settled } = replica(true);
    await settled;
    assert.deepEqual(joins, [], 'a copy made for an ended assignment asked to join');
    assert.equal(fixture.catalog.get('kv'), undefined, 'a table copied for an ended assignment was installed');
    assert.ok(
      warnings.some((line) => line.includes('left group g1 during the copy')),
      `no warning says why the copy stopped: ${warnings.join(' | ')}`,
    );
  });
});
