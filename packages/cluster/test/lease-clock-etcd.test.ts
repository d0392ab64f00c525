/**
 * The clock that fences a primary follows the lease that owns the region's key in etcd,
 * and no other: with a real etcd, a lease granted and then refused the key (the name is
 * held by another region) never makes the clock valid, and the owning lease does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { EtcdKeys, Logger } from '@minisql/common';
import { LeaseClock, RegionRegistration } from '@minisql/region';
import { startEtcdOnly, type TestCluster } from './support/test-cluster.js';

const quiet = new Logger('test', 'registration', 'error', { write: () => undefined });

describe('the lease clock and the lease that owns the key', () => {
  let test: TestCluster;
  let etcd: Etcd3;
  before(async () => {
    ({ test, etcd } = await startEtcdOnly());
  });
  after(async () => {
    etcd?.close();
    await test?.stop();
  });

  const record = (id: string) => ({ id, host: id, grpcAddress: '127.0.0.1:1', ftpAddress: '127.0.0.1:2', incarnation: `inc-${id}`, startedAtMs: Date.now() });

  it('a lease granted and revoked at once because the name is taken leaves the clock invalid', async () => {
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
});
