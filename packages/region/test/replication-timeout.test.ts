import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { REPLICA_BYTES_PER_MS_MIN, REPLICATION_TIMEOUT_MS, replicationTimeoutMs } from '../src/replicator.js';

describe("a batch's time to be applied by a replica", () => {
  it(`is ${REPLICATION_TIMEOUT_MS} ms for small batches: a dead replica is found as fast as before`, () => {
    assert.equal(replicationTimeoutMs(REPLICATION_TIMEOUT_MS, 200), REPLICATION_TIMEOUT_MS + 1);
  });

  it("grows with the batch's bytes at 2 MiB a second (counted from the answer to the batch before): a 14 MiB write gets 8 s", () => {
    const mib = 1024 * 1024;
    assert.equal(REPLICA_BYTES_PER_MS_MIN * 1_000, 2 * mib);
    assert.equal(replicationTimeoutMs(REPLICATION_TIMEOUT_MS, 14 * mib), REPLICATION_TIMEOUT_MS + 7_000);
    assert.ok(replicationTimeoutMs(REPLICATION_TIMEOUT_MS, 16 * mib) < replicationTimeoutMs(REPLICATION_TIMEOUT_MS, 32 * mib));
  });
});
