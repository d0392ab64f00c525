/**
 * The clock that fences a primary follows the lease that owns the region's key in etcd,
 * and no other: with a real etcd, a lease granted and then refused the key (the name is
 * held by another region) never makes the clock valid, and the owning lease does. An
 * etcd that stops answering stops the clock within its bound; once it answers again the
 * same lease is renewed, and the renewals given up on leave no stream open.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdKeys, Logger, PRIMARY_VALIDITY_MS_MAX } from '@minisql/common';
import { LeaseClock, RegionRegistration } from '@minisql/region';
import { etcdForSuite } from './support/test-cluster.js';

const quiet = new Logger('test', 'registration', 'error', { write: () => undefined });

describe('the lease clock and the lease that owns the key', () => {
  const suite = etcdForSuite();

  const record = (id: string) => ({ id, host: id, grpcAddress: '127.0.0.1:1', ftpAddress: '127.0.0.1:2', incarnation: `inc-${id}`, startedAtMs: Date.now() });

  it('a lease granted and revoked at once because the name is taken leaves the clock invalid', async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const holder = etcd.lease(5);
    await holder.put(keys.region('taken')).value(JSON.stringify(record('taken')));
    const clock = new LeaseClock();
    const registration = new RegionRegistration(etcd, keys, record('taken'), 2, 'test', quiet, clock);
    void registration.start();
    try {
      await test.waitFor('the duplicate to be refused', async () => registration.lastError ?? undefined);
      assert.equal(registration.lastError?.code, 'DUPLICATE_REGION');
      assert.equal(clock.valid(), false, 'a lease that never owned the key made the clock valid');
    } finally {
      await registration.stop();
      await holder.revoke().catch(() => undefined);
    }
  });

  it('the lease that owns the key makes the clock valid for about its TTL', async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const clock = new LeaseClock();
    const registration = new RegionRegistration(etcd, keys, record('owner'), 2, 'test', quiet, clock);
    try {
      await registration.start();
      assert.equal(clock.valid(), true);
      assert.ok(clock.remainingMs() <= 2_000, `remaining ${clock.remainingMs()} ms`);
    } finally {
      await registration.stop();
    }
    assert.equal(clock.valid(), false, 'a stopped registration left the clock valid');
  });

  /** LeaseKeepAlive streams etcd has open (started, not yet handled), from its /metrics. */
  const keepAliveStreamsOpen = async (): Promise<number> => {
    const port = suite.test.config.hosts.find((h) => h.roles.includes('etcd'))?.ports.etcdClient as number;
    const body = await new Promise<string>((resolve, reject) => {
      const tls = suite.test.tls;
      const request = httpsRequest(`https://127.0.0.1:${port}/metrics`, { ca: tls?.ca, cert: tls?.cert, key: tls?.key, timeout: 5_000 }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      });
      request.on('timeout', () => request.destroy(new Error('no answer from etcd /metrics')));
      request.on('error', reject);
      request.end();
    });
    const total = (name: string) =>
      body
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && line.includes('grpc_method="LeaseKeepAlive"'))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    return total('grpc_server_started_total') - total('grpc_server_handled_total');
  };

  it('an etcd stopped for a second stops the clock within its bound; running again, the same lease is renewed and no stream given up on stays open', async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const clock = new LeaseClock();
    const registration = new RegionRegistration(etcd, keys, record('stopped'), 2, 'test', quiet, clock);
    const leaseOfRecord = async () => (JSON.parse((await etcd.get(keys.region('stopped')).string()) ?? '{}') as { leaseId?: string }).leaseId;
    const etcdPid = test.cluster.list().find((p) => p.role === 'etcd')?.pid;
    assert.ok(etcdPid !== undefined, 'no etcd process');
    const openBefore = await keepAliveStreamsOpen();
    try {
      await registration.start();
      const lease = await leaseOfRecord();
      assert.ok(lease, 'the registration wrote no lease id');
      assert.equal(clock.valid(), true);
      process.kill(etcdPid, 'SIGSTOP');
      const stoppedAtMs = performance.now();
      try {
        // A renewal etcd answered before it stopped may still be on its way, but every
        // renewal answered was sent before the stop: the clock lasts no more than
        // PRIMARY_VALIDITY_MS_MAX past it. (A timer may fire a little before its time
        // by the clock the lease clock reads: wait by that clock.)
        const runsOutAtMs = stoppedAtMs + PRIMARY_VALIDITY_MS_MAX;
        while (performance.now() <= runsOutAtMs) await sleep(runsOutAtMs - performance.now() + 1);
        assert.equal(clock.valid(), false, `the clock stayed valid with etcd stopped, ${(performance.now() - stoppedAtMs).toFixed(0)} ms after`);
        // The fault lasts a second: several renewals are given up on meanwhile.
        await sleep(Math.max(0, 1_000 - (performance.now() - stoppedAtMs)));
      } finally {
        process.kill(etcdPid, 'SIGCONT');
      }
      await test.waitFor('the clock to be renewed after etcd runs again', async () => (clock.valid() ? true : undefined), 5_000);
      assert.equal(await leaseOfRecord(), lease, 'the region registered again with another lease instead of renewing its own');
      assert.equal(registration.lastError, undefined);
      // The registration's own keep-alive and its renewals' stream: two, whatever was given up.
      const open = await test.waitFor(
        'etcd to have closed the renewal streams given up on',
        async () => {
          const now = (await keepAliveStreamsOpen()) - openBefore;
          return now <= 2 ? now : undefined;
        },
        5_000,
      );
      assert.ok(open >= 1, `etcd shows ${open} keep-alive streams of this registration open`);
    } finally {
      await registration.stop();
    }
  });
});
