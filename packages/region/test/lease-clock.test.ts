import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LEASE_MARGIN_MS, LeaseClock, PRIMARY_FENCE_MS, PRIMARY_VALIDITY_MS_MAX } from '../src/lease-clock.js';

/** A clock the test moves by hand. */
function manualClock(): { clock: LeaseClock; advance: (ms: number) => void } {
  let now = 1_000;
  return { clock: new LeaseClock(() => now), advance: (ms) => (now += ms) };
}

describe('the lease clock', () => {
  it('is invalid until a lease owns the key', () => {
    const { clock } = manualClock();
    clock.keepaliveSent();
    clock.keepaliveAnswered(2);
    assert.equal(clock.valid(), true, 'an answered renewal counts');
    const fresh = manualClock().clock;
    assert.equal(fresh.valid(), false);
  });

  it('counts from when the renewal was sent, not when it was answered', () => {
    const { clock, advance } = manualClock();
    clock.keepaliveSent();
    advance(250); // a slow answer
    clock.keepaliveAnswered(2);
    assert.equal(clock.remainingMs(), PRIMARY_VALIDITY_MS_MAX - 250);
  });

  it(`serves at most ${PRIMARY_VALIDITY_MS_MAX} ms past a renewal whatever the TTL, so a master that revoked the lease may promote ${PRIMARY_FENCE_MS} ms later`, () => {
    const { clock, advance } = manualClock();
    clock.owned(clock.nowMs(), 60);
    assert.equal(clock.remainingMs(), PRIMARY_VALIDITY_MS_MAX);
    advance(PRIMARY_VALIDITY_MS_MAX);
    assert.equal(clock.valid(), false, 'a process cut off from etcd still served past the cap');
    assert.ok(PRIMARY_FENCE_MS > PRIMARY_VALIDITY_MS_MAX);
  });

  it('keeps the TTL minus the margin when that is shorter than the cap', () => {
    const { clock } = manualClock();
    clock.renewed(clock.nowMs(), 0.5);
    assert.equal(clock.remainingMs(), Math.min(500 - LEASE_MARGIN_MS, PRIMARY_VALIDITY_MS_MAX));
  });

  it('a renewal answered "lease not found" (TTL 0) ends it at once', () => {
    const { clock } = manualClock();
    clock.owned(clock.nowMs(), 2);
    clock.renewed(clock.nowMs(), 0);
    assert.equal(clock.valid(), false);
  });

  it('an old renewal answered late never shortens a later one', () => {
    const { clock, advance } = manualClock();
    const first = clock.nowMs();
    advance(100);
    clock.renewed(clock.nowMs(), 2);
    clock.renewed(first, 2);
    assert.equal(clock.remainingMs(), PRIMARY_VALIDITY_MS_MAX);
  });

  it('tells its listeners of each answered renewal (a primary whose event loop stalled waits for one instead of refusing), until they stop', () => {
    const { clock, advance } = manualClock();
    clock.owned(1_000, 2);
    advance(PRIMARY_VALIDITY_MS_MAX + 100); // a stalled event loop: the lease is unconfirmed
    assert.equal(clock.valid(), false);
    const heard: boolean[] = [];
    const stop = clock.onRenewal(() => heard.push(clock.valid()));
    clock.keepaliveSent();
    clock.keepaliveAnswered(2);
    assert.deepEqual(heard, [true], 'the renewal sent after the stall confirms the lease again');
    clock.lost();
    assert.deepEqual(heard, [true, false], 'a lost lease wakes the waiters too, so they refuse at once');
    assert.equal(clock.isLost, true);
    stop();
    clock.keepaliveSent();
    clock.keepaliveAnswered(2);
    assert.equal(heard.length, 2);
    clock.owned(2_000, 2);
    assert.equal(clock.isLost, false, 'a new lease owning the key');
  });
});
