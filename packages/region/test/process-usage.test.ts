/**
 * The benchmarks' reading of the host's steal (/proc/stat): the share of the machine's
 * CPU time the hypervisor gave to other guests, which the compare bench prints beside
 * every ratio.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { clockTicksPerSecond, sampleSteal, stealPercent } from '../bench/process-usage.js';

describe("the host's steal, as the benchmarks read it", () => {
  it('is the stolen CPU time over the wall time of every CPU of the machine', () => {
    const before = { wallNs: 0n, stealSeconds: 10, cpus: 2 };
    // 2 s of wall time on 2 CPUs is 4 CPU-seconds; 1 of them stolen is 25 %.
    assert.equal(stealPercent(before, { wallNs: 2_000_000_000n, stealSeconds: 11, cpus: 2 }), 25);
    assert.equal(stealPercent(before, { wallNs: 2_000_000_000n, stealSeconds: 10, cpus: 2 }), 0);
    assert.ok(Number.isNaN(stealPercent(before, { wallNs: 0n, stealSeconds: 10, cpus: 2 })), 'no time passed, no share');
  });

  it("reads this machine's CPUs and a steal counter that never goes back", () => {
    const ticks = clockTicksPerSecond().ticks;
    const first = sampleSteal(ticks);
    const second = sampleSteal(ticks);
    assert.equal(first.cpus, cpus().length);
    assert.ok(first.stealSeconds >= 0);
    assert.ok(second.stealSeconds >= first.stealSeconds);
    assert.ok(second.wallNs > first.wallNs);
  });
});
