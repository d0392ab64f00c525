import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ResultSet } from '@minisql/common';
import type { LoggedWrite } from '../src/sql-engine.js';
import { WritePipeline } from '../src/write-pipeline.js';

/** A pipeline whose replication finishes only when the test says so. */
function pipelineWithManualReplication() {
  const replications: { release: () => void }[] = [];
  const pipeline = new WritePipeline({
    executeBatch: (writes) =>
      writes.map((write) => ({
        result: {} as ResultSet,
        write: { table: 't', record: { position: 1, sql: write.sql, params: [], requestId: write.requestId } } as unknown as LoggedWrite,
      })),
    replicate: () => new Promise<void>((resolve) => replications.push({ release: resolve })),
    mayAcknowledge: () => undefined,
  });
  return { pipeline, replications };
}

async function settledWithin(promise: Promise<void>, turns = 20): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('reads and group commit', () => {
  it('a read with no batch in flight is answered at once', async () => {
    const { pipeline } = pipelineWithManualReplication();
    assert.equal(await settledWithin(pipeline.visibleWritesSettled()), true);
  });

  it('a read that may have seen a batch still replicating waits for that batch (no dirty reads)', async () => {
    const { pipeline, replications } = pipelineWithManualReplication();
    const write = pipeline.submit({ sql: 'update t set v = 1', params: [], requestId: 'w1' });
    assert.equal(replications.length, 1, 'the first write starts a batch');
    const read = pipeline.visibleWritesSettled();
    assert.equal(await settledWithin(read), false, 'the read was answered while the write it saw was not replicated');
    replications[0]!.release();
    assert.equal(await settledWithin(read), true);
    await write;
  });

  it('a read waits only for batches that ran before it, not for later ones', async () => {
    const { pipeline, replications } = pipelineWithManualReplication();
    void pipeline.submit({ sql: 'update t set v = 1', params: [], requestId: 'w1' });
    const read = pipeline.visibleWritesSettled();
    void pipeline.submit({ sql: 'update t set v = 2', params: [], requestId: 'w2' });
    replications[0]!.release();
    assert.equal(await settledWithin(read), true, 'the read waited for a batch that ran after it');
    assert.equal(replications.length, 2, 'the queued write went in a second batch');
    replications[1]!.release();
  });
});
