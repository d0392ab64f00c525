import { strict as assert } from 'node:assert';
import { describe, it, mock } from 'node:test';
import type { LoggedWrite } from '../src/sql-engine.js';
import { MiniSqlError, errors, type ExecuteResponse } from '@minisql/common';
import { BATCH_BYTES_MAX, BATCHES_IN_FLIGHT_MAX, RESEND_DELAY_MS, WritePipeline } from '../src/write-pipeline.js';

interface Replication {
  /** Request ids of the writes in the shipped batch. */
  writes: string[];
  release: () => void;
  refuse: (error: MiniSqlError) => void;
}

/**
 * A pipeline whose batches finish replicating only when the test says so. A request id
 * starting with "retry-of-" is answered from the log: the entry of the request named
 * after it (which must have been written before) comes back as its `confirm`.
 */
function pipelineWithManualReplication(role = { primary: true }, disk: { manual: boolean } = { manual: false }) {
  const logged = new Map<string, LoggedWrite>();
  const replications: Replication[] = [];
  /** With a manual disk: each batch's local sync, released or failed by the test. */
  const syncs: Array<{ writes: string[]; release: () => void; fail: (error: Error) => void }> = [];
  /** Request ids of the first write of each batch whose settle() was called, in call order. */
  const settleOrder: string[] = [];
  let position = 0;
  const pipeline = new WritePipeline({
    executeBatch: (writes) =>
      writes.map((write) => {
        if (write.requestId.startsWith('retry-of-')) return { result: {}, confirm: logged.get(write.requestId.slice('retry-of-'.length)) as LoggedWrite };
        const entry = { table: 't', record: { position: ++position, sql: write.sql, params: [], requestId: write.requestId } } as unknown as LoggedWrite;
        logged.set(write.requestId, entry);
        return { result: {}, write: entry };
      }),
    replicate: (logged) => {
      const writes = logged.map((write) => write.record.requestId);
      const done = new Promise<void>((resolve, reject) => replications.push({ writes, release: resolve, refuse: reject }));
      return {
        settle: () => {
          settleOrder.push(writes[0] as string);
          return done;
        },
      };
    },
    durable: (logged) =>
      disk.manual
        ? new Promise<void>((release, fail) => syncs.push({ writes: logged.map((write) => write.record.requestId), release, fail }))
        : Promise.resolve(),
    mayAcknowledge: () => undefined,
    isPrimary: () => role.primary,
  });
  const write = (requestId: string): Promise<ExecuteResponse> => pipeline.submit({ sql: 'update t set v = 1', params: [], requestId });
  return { pipeline, replications, settleOrder, syncs, write };
}

/** Lets the writes submitted so far start their batch (batches start once the event loop's turn is over). */
async function turn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

/** Lets every pending callback and promise job run. */
async function turns(count = 20): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** `undefined` is what visibleWritesSettled gives when there is nothing to wait for: settled. */
async function settledWithin(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  await turns();
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
    await turn();
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
    await turn();
    const read = pipeline.visibleWritesSettled();
    void pipeline.submit({ sql: 'update t set v = 2', params: [], requestId: 'w2' });
    await turn();
    replications[0]!.release();
    assert.equal(await settledWithin(read), true, 'the read waited for a batch that ran after it');
    assert.equal(replications.length, 2, 'the queued write went in a second batch');
    replications[1]!.release();
  });
});

describe('batches in flight', () => {
  it('the writes submitted in one turn of the event loop go in one batch', async () => {
    const { replications, write } = pipelineWithManualReplication();
    const answers = ['w1', 'w2', 'w3'].map(write);
    assert.equal(replications.length, 0, 'a batch started before the turn was over');
    await turn();
    assert.deepEqual(
      replications.map((r) => r.writes),
      [['w1', 'w2', 'w3']],
    );
    replications[0]!.release();
    assert.ok((await Promise.all(answers)).every((response) => !response.error));
  });

  it('ships a batch while the one before it is still replicating', async () => {
    const { replications, write } = pipelineWithManualReplication();
    void write('w1');
    await turn();
    void write('w2');
    await turn();
    assert.deepEqual(
      replications.map((r) => r.writes),
      [['w1'], ['w2']],
    );
  });

  it('acknowledges batches in the order they ran, even when a later one replicates first', async () => {
    const { replications, settleOrder, write } = pipelineWithManualReplication();
    const answered: string[] = [];
    const first = write('w1').then(() => answered.push('w1'));
    await turn();
    const second = write('w2').then(() => answered.push('w2'));
    await turn();
    replications[1]!.release();
    await turns();
    assert.deepEqual(answered, [], 'w2 was acknowledged before w1, which ran first, was replicated');
    replications[0]!.release();
    await Promise.all([first, second]);
    assert.deepEqual(answered, ['w1', 'w2']);
    assert.deepEqual(settleOrder, ['w1', 'w2'], 'batches were judged out of order');
  });

  it(`keeps at most ${BATCHES_IN_FLIGHT_MAX} batches in flight; the writes beyond wait and go in one batch`, async () => {
    const { replications, write } = pipelineWithManualReplication();
    const extra = 3;
    const answers: Array<Promise<ExecuteResponse>> = [];
    for (let i = 0; i < BATCHES_IN_FLIGHT_MAX; i++) {
      answers.push(write(`w${i}`));
      await turn();
    }
    for (let i = 0; i < extra; i++) answers.push(write(`w${BATCHES_IN_FLIGHT_MAX + i}`));
    await turn();
    assert.equal(replications.length, BATCHES_IN_FLIGHT_MAX);
    replications[0]!.release();
    await turns();
    assert.equal(replications.length, BATCHES_IN_FLIGHT_MAX + 1);
    assert.deepEqual(
      replications.at(-1)!.writes,
      Array.from({ length: extra }, (_, i) => `w${BATCHES_IN_FLIGHT_MAX + i}`),
    );
    for (const replication of replications) replication.release();
    const responses = await Promise.all(answers);
    assert.ok(
      responses.every((response) => !response.error),
      'a write failed',
    );
  });

  it(`bounds a batch in bytes (${BATCH_BYTES_MAX / 1024 / 1024} MiB): large writes waiting together go in several batches, one larger than the bound alone`, async () => {
    const { pipeline, replications } = pipelineWithManualReplication();
    const text = (mib: number) => `insert into t values ('${'x'.repeat(mib * 1024 * 1024)}')`;
    // Two batches in flight, so the writes after them queue up together.
    const first = [pipeline.submit({ sql: 'update t set v = 1', params: [], requestId: 's1' })];
    await turn();
    first.push(pipeline.submit({ sql: 'update t set v = 2', params: [], requestId: 's2' }));
    await turn();
    const big = ['b1', 'b2', 'b3'].map((requestId) => pipeline.submit({ sql: text(7), params: [], requestId }));
    const huge = pipeline.submit({ sql: text(20), params: [], requestId: 'h1' });
    await turn();
    replications[0]!.release();
    replications[1]!.release();
    await turns();
    replications[2]!.release();
    replications[3]!.release();
    await turns();
    for (const replication of replications.slice(4)) replication.release();
    await Promise.all([...first, ...big, huge]);
    assert.deepEqual(
      replications.slice(2).map((r) => r.writes),
      [['b1', 'b2'], ['b3'], ['h1']],
    );
  });

  it('a batch that cannot be replicated fails its own writes only; the next is judged on its own', async () => {
    const { replications, write } = pipelineWithManualReplication();
    const first = write('w1');
    await turn();
    const second = write('w2');
    await turn();
    replications[0]!.refuse(errors.notPrimary('region1', 'test refusal'));
    replications[1]!.release();
    assert.equal((await first).error?.code, 'NOT_PRIMARY');
    assert.equal((await second).error, undefined);
  });

  it("a batch replicated everywhere is acknowledged, and read, only once it is on this region's disk too; the sync starts with the shipping", async () => {
    const { pipeline, replications, syncs, write } = pipelineWithManualReplication({ primary: true }, { manual: true });
    let answered = false;
    const first = write('w1').then((response) => {
      answered = true;
      return response;
    });
    await turn();
    assert.deepEqual(
      syncs.map((sync) => sync.writes),
      [['w1']],
      'the local sync did not start when the batch was shipped',
    );
    const read = pipeline.visibleWritesSettled();
    replications[0]!.release();
    await turns();
    assert.equal(answered, false, "acknowledged before it was on this region's disk");
    assert.equal(await settledWithin(read), false, "a read showed a write not yet on this region's disk");
    syncs[0]!.release();
    assert.equal((await first).error, undefined);
    assert.equal(await settledWithin(read), true);
  });

  it('a batch whose local sync fails is not acknowledged; the next batch is judged on its own', async () => {
    const { replications, syncs, write } = pipelineWithManualReplication({ primary: true }, { manual: true });
    const first = write('w1');
    await turn();
    const second = write('w2');
    await turn();
    syncs[0]!.fail(errors.internal('a table file could not be synced to disk: EIO'));
    syncs[1]!.release();
    for (const replication of replications) replication.release();
    const failed = await first;
    assert.equal(failed.error?.code, 'INTERNAL');
    assert.match(failed.error?.message ?? '', /synced to disk: EIO/);
    assert.equal((await second).error, undefined);
  });

  it('a pause waits for every batch in flight, and writes that came meanwhile go after it', async () => {
    const { pipeline, replications, write } = pipelineWithManualReplication();
    void write('w1');
    await turn();
    void write('w2');
    await turn();
    let paused = false;
    const pause = pipeline.whilePaused(async () => {
      paused = true;
    });
    void write('w3');
    await turn();
    replications[0]!.release();
    await turns();
    assert.equal(paused, false, 'the pause began with a batch in flight');
    replications[1]!.release();
    await pause;
    assert.equal(paused, true);
    await turns();
    assert.deepEqual(
      replications.map((r) => r.writes),
      [['w1'], ['w2'], ['w3']],
    );
    replications[2]!.release();
  });
});

describe('pauses', () => {
  it('two pauses that overlap: no batch starts until both have ended', async () => {
    const { pipeline, replications, write } = pipelineWithManualReplication();
    let endFirst: () => void = () => undefined;
    let endSecond: () => void = () => undefined;
    const first = pipeline.whilePaused(() => new Promise<void>((resolve) => (endFirst = resolve)));
    const second = pipeline.whilePaused(() => new Promise<void>((resolve) => (endSecond = resolve)));
    await turns();
    const answer = write('w1');
    await turns();
    endFirst();
    await first;
    await turns();
    assert.equal(replications.length, 0, 'a batch started while the other pause was still running');
    endSecond();
    await second;
    await turns();
    assert.deepEqual(
      replications.map((r) => r.writes),
      [['w1']],
    );
    replications[0]!.release();
    assert.equal((await answer).error, undefined);
  });
});

describe('writes whose replication failed', () => {
  it('are shipped again with the next batch, and reads are refused until a batch carrying them is replicated', async () => {
    const { pipeline, replications, write } = pipelineWithManualReplication();
    const first = write('w1');
    await turn();
    replications[0]!.refuse(errors.unavailable('region2', 'test: the batch did not arrive'));
    assert.equal((await first).error?.code, 'UNAVAILABLE');
    assert.equal(pipeline.unconfirmedEntries, 1, 'the failed entry is unconfirmed');
    const second = write('w2');
    await turn();
    assert.deepEqual(replications[1]!.writes, ['w1', 'w2'], 'the failed entry goes again, before the new one');
    replications[1]!.release();
    assert.equal((await second).error, undefined);
    assert.equal(pipeline.unconfirmedEntries, 0);
  });

  it('are shipped again on their own when no write comes', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { pipeline, replications, write } = pipelineWithManualReplication();
      const first = write('w1');
      await turn();
      replications[0]!.refuse(errors.unavailable('region2', 'test: the batch did not arrive'));
      await first;
      assert.equal(replications.length, 1);
      mock.timers.tick(RESEND_DELAY_MS);
      assert.deepEqual(replications[1]?.writes, ['w1'], 'a batch of the unconfirmed entry alone');
      replications[1].release();
      await turns();
      assert.equal(pipeline.unconfirmedEntries, 0);
      mock.timers.tick(RESEND_DELAY_MS);
      assert.equal(replications.length, 2, 'nothing more to ship');
    } finally {
      mock.timers.reset();
    }
  });

  it('are dropped by a region that is no longer primary', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const role = { primary: true };
      const { pipeline, replications, write } = pipelineWithManualReplication(role);
      const first = write('w1');
      await turn();
      replications[0]!.refuse(errors.notPrimary('region1', 'test: deposed'));
      await first;
      role.primary = false;
      mock.timers.tick(RESEND_DELAY_MS);
      assert.equal(replications.length, 1, 'a deposed region shipped again');
      assert.equal(pipeline.unconfirmedEntries, 0);
    } finally {
      mock.timers.reset();
    }
  });
});

describe('a retry answered from the log', () => {
  it('ships the entry it was answered from and is acknowledged only when a batch carrying it is replicated', async () => {
    const { replications, write } = pipelineWithManualReplication();
    const first = write('w1');
    await turn();
    replications[0]!.release();
    await first;
    const retry = write('retry-of-w1');
    await turn();
    assert.deepEqual(replications[1]!.writes, ['w1'], 'the logged entry goes again with the retry');
    replications[1]!.refuse(errors.unavailable('region2', 'test: the replica lacks it and could not be removed'));
    assert.equal((await retry).error?.code, 'UNAVAILABLE', 'a retry was acknowledged while its write was not on the replicas');
  });
});
