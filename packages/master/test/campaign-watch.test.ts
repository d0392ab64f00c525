import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { campaignStallMs, campaignVerdict } from '../src/campaign-watch.js';

const base = { ownKeyPresent: true, oldest: false, oldestSinceMs: undefined, nowMs: 10_000, stallMs: 3_000 };

describe('campaign watch', () => {
  it('a candidate behind an older key waits, however long', () => {
    assert.deepEqual(campaignVerdict({ ...base, nowMs: 10_000_000 }), { action: 'wait' });
  });

  it('a candidate whose key is gone campaigns afresh', () => {
    const verdict = campaignVerdict({ ...base, ownKeyPresent: false });
    assert.equal(verdict.action, 'restart');
    assert.match(verdict.action === 'restart' ? verdict.why : '', /key is gone/);
  });

  it('the oldest key waits for the election to notice, up to the stall bound, then campaigns afresh', () => {
    assert.deepEqual(campaignVerdict({ ...base, oldest: true, oldestSinceMs: 8_000 }), { action: 'wait' });
    assert.deepEqual(campaignVerdict({ ...base, oldest: true, oldestSinceMs: 7_001 }), { action: 'wait' });
    const verdict = campaignVerdict({ ...base, oldest: true, oldestSinceMs: 7_000 });
    assert.equal(verdict.action, 'restart');
    assert.match(verdict.action === 'restart' ? verdict.why : '', /oldest for 3000 ms/);
  });

  it('the stall bound is a second past the lease TTL, and never under two seconds', () => {
    assert.equal(campaignStallMs(2), 3_000);
    assert.equal(campaignStallMs(10), 11_000);
    assert.equal(campaignStallMs(0.5), 2_000);
  });
});
