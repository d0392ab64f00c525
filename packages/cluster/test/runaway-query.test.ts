/**
 * Hostile workloads, with real processes: a select that would run for hours is stopped
 * at its deadline and answered TIMEOUT, its group keeps its primary (no failover: the
 * lease is renewed meanwhile), and the table keeps answering everyone else.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient } from '@minisql/client';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MiniSqlError, withDeadline } from '@minisql/common';
import { TestCluster } from './support/test-cluster.js';

const ROWS = 3_000;
/** count(*) over three copies of 3,000 rows: 2.7e10 row visits, hours of SQLite. */
const RUNAWAY = 'select count(*) from big a, big b, big c;';
const DEADLINE_MS = 3_000;

/** Point selects on one client, 8 at a time, each checked against its own row. */
async function answerPointSelects(client: ClusterClient, count: number): Promise<void> {
  for (let from = 0; from < count; from += 8) {
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const id = (from + i) % ROWS;
        assert.deepEqual((await client.execute(`select v from big where id = ${id};`)).rows, [[`v${id}`]], `the select of row ${id} got another answer`);
      }),
    );
  }
}

/** The promise's outcome, or a failure naming `what` when it has none within `ms` (a request the client lost track of). */
const settledWithin = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  withDeadline(promise, ms, () => {
    throw new Error(`${what} was not answered within ${ms} ms`);
  });

describe('a runaway query', () => {
  let test: TestCluster;
  let impatient: ClusterClient;
  before(async () => {
    test = await TestCluster.start({ regions: 2 });
    await test.waitForStatus('group g1', (s) => s.groups.length === 1);
    const client = await test.client();
    await client.execute('create table big (id int primary key, v text);');
    for (let from = 0; from < ROWS; from += 500) {
      const values = Array.from({ length: 500 }, (_, i) => `(${from + i}, 'v${from + i}')`).join(', ');
      await client.execute(`insert into big values ${values};`);
    }
    impatient = await ClusterClient.connect({ masterAddresses: test.masterAddresses, statementTimeoutMs: DEADLINE_MS, ...test.tlsOption });
  });
  after(async () => {
    impatient?.close();
    await test?.stop();
  });

  it('is answered TIMEOUT within its deadline plus 1 s, naming the limit, and is not retried elsewhere; no failover', async () => {
    const before = await test.waitForStatus('group g1', (s) => s.groups.length === 1);
    const started = Date.now();
    const error = await impatient.execute(RUNAWAY).then(
      () => assert.fail('the runaway query returned'),
      (thrown: unknown) => thrown as MiniSqlError,
    );
    const elapsedMs = Date.now() - started;
    assert.equal(error.code, 'TIMEOUT', error.message);
    assert.match(error.message, new RegExp(`deadline of ${DEADLINE_MS} ms`));
    assert.ok(elapsedMs < DEADLINE_MS + 1_000, `answered after ${elapsedMs} ms`);
    const now = await impatient.clusterStatus();
    const [was, is] = [before.groups[0], now.groups[0]];
    assert.deepEqual([is?.epoch, is?.primary], [was?.epoch, was?.primary], 'the group failed over');
  });

  it('cancelled by its client (Ctrl-C), it is answered CANCELLED at once and stopped on the region', async () => {
    const client = await test.client();
    const primary = (await client.clusterStatus()).groups[0]?.primary as string;
    const canceller = new AbortController();
    const running = client.execute(RUNAWAY, { signal: canceller.signal }).then(
      () => assert.fail('the runaway query returned'),
      (thrown: unknown) => thrown as MiniSqlError,
    );
    // Cancelled once the region has taken it to a query worker (its log says when it stops it).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelledAt = Date.now();
    canceller.abort();
    const error = await running;
    assert.equal(error.code, 'CANCELLED', error.message);
    assert.ok(Date.now() - cancelledAt < 100, 'the client stops waiting at once');
    const log = join(test.config.dataDir, 'logs', `${primary}.log`);
    await test.waitFor(
      'the region to stop the statement',
      async () => (readFileSync(log, 'utf8').includes('statement stopped (CANCELLED); its query worker was killed') ? true : undefined),
      5_000,
    );
    assert.deepEqual((await client.execute('select v from big where id = 7;')).rows, [['v7']]);
  });

  // A client's stream keeps the requests waiting in 256 slots by sequence; one that waits
  // while more than 256 later ones on the same connection come and go is moved aside. It
  // must still be found when it is cancelled or its time is up, and every other answer
  // must still reach its own statement.
  it('cancelled after 300 later statements on its own connection were answered, it is still answered CANCELLED and stopped on the region', async () => {
    const client = await test.client();
    const primary = (await client.clusterStatus()).groups[0]?.primary as string;
    const log = join(test.config.dataDir, 'logs', `${primary}.log`);
    const stopped = () => readFileSync(log, 'utf8').split('statement stopped (CANCELLED)').length - 1;
    const stoppedBefore = stopped();
    const canceller = new AbortController();
    const running = client.execute(RUNAWAY, { signal: canceller.signal }).then(
      () => assert.fail('the runaway query returned'),
      (thrown: unknown) => thrown as MiniSqlError,
    );
    await answerPointSelects(client, 300);
    canceller.abort();
    const error = await settledWithin(running, 1_000, 'the cancelled runaway query');
    assert.equal(error.code, 'CANCELLED', error.message);
    await test.waitFor('the region to stop the statement', async () => (stopped() > stoppedBefore ? true : undefined), 5_000);
    assert.deepEqual((await client.execute('select v from big where id = 11;')).rows, [['v11']]);
  });

  it('timed out after 300 later statements on its own connection were answered, it is still answered TIMEOUT at its deadline', async () => {
    const started = Date.now();
    const runaway = impatient.execute(RUNAWAY).catch((error: unknown) => error as MiniSqlError);
    await answerPointSelects(impatient, 300);
    const overtakenMs = Date.now() - started;
    assert.ok(overtakenMs < DEADLINE_MS, `300 point selects took ${overtakenMs} ms: the runaway query timed out before they overtook it`);
    const error = (await settledWithin(runaway, DEADLINE_MS + 1_000 - overtakenMs, 'the runaway query past its deadline')) as MiniSqlError;
    assert.equal(error.code, 'TIMEOUT', error.message);
    assert.ok(Date.now() - started < DEADLINE_MS + 1_000, `answered after ${Date.now() - started} ms`);
    assert.deepEqual((await impatient.execute('select v from big where id = 12;')).rows, [['v12']]);
  });

  it('leaves the table answering other clients while it runs: point selects, inserts and a scan', async () => {
    const client = await test.client();
    const status = await client.clusterStatus();
    const runaway = impatient.execute(RUNAWAY).catch((error: unknown) => error as MiniSqlError);
    let answered = 0;
    let slowestMs = 0;
    const until = Date.now() + DEADLINE_MS - 500;
    for (let id = ROWS; Date.now() < until; id += 1) {
      const started = Date.now();
      assert.deepEqual((await client.execute(`select v from big where id = ${id - ROWS};`)).rows, [[`v${id - ROWS}`]]);
      await client.execute(`insert into big values (${id}, 'during');`);
      slowestMs = Math.max(slowestMs, Date.now() - started);
      answered += 1;
    }
    assert.ok(answered >= 20, `only ${answered} select+insert pairs answered while the runaway query ran`);
    assert.ok(slowestMs < 1_000, `a select+insert pair took ${slowestMs} ms while the runaway query ran`);
    assert.equal(((await runaway) as MiniSqlError).code, 'TIMEOUT');
    // A scan goes to a query worker too: the worker that was killed is replaced.
    assert.deepEqual((await client.execute("select count(*) from big where v = 'during';")).rows, [[answered]]);
    const after = await client.clusterStatus();
    assert.equal(after.groups[0]?.epoch, status.groups[0]?.epoch, 'the group failed over');
  });

  it('a write that scans its table inside a scan of it is refused at once with LIMIT_EXCEEDED naming the table; no failover, the row unchanged', async () => {
    const client = await test.client();
    const before = await client.clusterStatus();
    const started = Date.now();
    const error = await client.execute('update big set v = (select count(*) from big a, big b, big c) where id = 1;').then(
      () => assert.fail('the nested-scan write ran'),
      (thrown: unknown) => thrown as MiniSqlError,
    );
    assert.equal(error.code, 'LIMIT_EXCEEDED', error.message);
    assert.match(error.message, /passes over table `big` in one write/);
    assert.ok(Date.now() - started < 1_000, `refused after ${Date.now() - started} ms`);
    assert.deepEqual((await client.execute('select v from big where id = 1;')).rows, [['v1']]);
    assert.equal((await client.clusterStatus()).groups[0]?.epoch, before.groups[0]?.epoch, 'the group failed over');
  });
});
