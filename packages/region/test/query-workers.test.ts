/** The query worker processes, for real: statements run in child processes over real table files. */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Logger, MiniSqlError, StatementCancel } from '@minisql/common';
import { QueryWorkers, type QueryRequest } from '../src/query-workers.js';

const dir = mkdtempSync(join(tmpdir(), 'query-workers-'));
const path = join(dir, 'big.sqlite');
/** A connection holding the file open in WAL mode, as a region's table file does. */
let owner: Database.Database;
const quiet = new Logger('test', 'query-workers', 'error');

before(() => {
  owner = new Database(path);
  owner.pragma('journal_mode = WAL');
  owner.exec('create table big (id integer primary key, v text)');
  const insert = owner.prepare('insert into big values (?, ?)');
  owner.transaction(() => {
    for (let id = 0; id < 2_000; id++) insert.run(id, `v${id}`);
  })();
});
after(() => {
  owner.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (sql: string, params: unknown[] = []): Omit<QueryRequest, 'id'> => ({
  sql,
  params,
  tables: [{ name: 'big', path }],
  definition: undefined,
  rowsMax: 100,
  bytesMax: 1024 * 1024,
  pageCacheKiB: 256,
  memoryBytesMax: 64 * 1024 * 1024,
});
const RUNAWAY = 'select count(*) from big a, big b, big c';

const failureOf = (promise: Promise<unknown>): Promise<MiniSqlError> =>
  promise.then(
    () => assert.fail('resolved'),
    (error: MiniSqlError) => error,
  );

/** The processes this one has started and not yet reaped (zombies included). */
const children = (): Set<string> => new Set(readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').split(' ').filter(Boolean));

describe('query workers', () => {
  it('close resolves only once every worker process is gone, so the table files are closed when a stopped region is removed', async () => {
    const before = children();
    const workers = new QueryWorkers({ workersMax: 2, waitingMax: 4, logger: quiet });
    await Promise.all([workers.run(request('select id from big where id < 10'), 10_000), workers.run(request('select v from big where id < 10'), 10_000)]);
    const started = [...children()].filter((pid) => !before.has(pid));
    assert.equal(started.length, 2, 'two workers were started');
    await workers.close();
    const left = [...children()].filter((pid) => started.includes(pid));
    assert.deepEqual(left, [], 'a worker process was still there when close resolved');
  });

  it('run a scan in a worker and answer its rows, its column sources and whether the rows were cut', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const answer = await workers.run(request('select id, v from big where id >= ? order by id', [1_950]), 10_000);
      assert.equal(answer.rows.length, 50);
      assert.deepEqual(answer.rows[0], [1_950, 'v1950']);
      assert.deepEqual(
        answer.columns.map((c) => [c.name, c.table, c.column]),
        [
          ['id', 'big', 'id'],
          ['v', 'big', 'v'],
        ],
      );
      assert.equal(answer.truncated, false);
      assert.equal((await workers.run(request('select id from big'), 10_000)).truncated, true);
    } finally {
      await workers.close();
    }
  });

  it('stop a statement at its deadline by killing its worker, answer TIMEOUT naming the limit, and start a fresh worker for the next', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const started = Date.now();
      const error = await failureOf(workers.run(request(RUNAWAY), 300));
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.retryable, false, 'a statement past its deadline would fail the same way elsewhere');
      assert.match(error.message, /deadline of 300 ms/);
      assert.ok(Date.now() - started < 1_300, `answered after ${Date.now() - started} ms`);
      assert.deepEqual((await workers.run(request('select count(*) from big'), 10_000)).rows, [[2_000]]);
    } finally {
      await workers.close();
    }
  });

  it('stop a statement the client cancelled by killing its worker, answer CANCELLED, and serve the next with a fresh worker', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const cancel = new StatementCancel();
      const running = failureOf(workers.run(request(RUNAWAY), 60_000, cancel));
      const waiting = new StatementCancel();
      const queued = failureOf(workers.run(request('select count(*) from big'), 60_000, waiting));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      waiting.abort();
      cancel.abort();
      assert.equal((await running).code, 'CANCELLED');
      assert.equal((await queued).code, 'CANCELLED', 'a statement still waiting for a worker leaves the queue');
      assert.ok(Date.now() - started < 500, `answered after ${Date.now() - started} ms`);
      assert.deepEqual((await workers.run(request('select count(*) from big'), 10_000)).rows, [[2_000]]);
      assert.equal(
        (await failureOf(workers.run(request('select count(*) from big'), 10_000, cancel))).code,
        'CANCELLED',
        'a statement cancelled before it starts never runs',
      );
    } finally {
      await workers.close();
    }
  });

  it('a statement waiting for a busy worker waits under its own deadline, and a full queue is refused with LIMIT_EXCEEDED', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 1, logger: quiet });
    try {
      const runaway = failureOf(workers.run(request(RUNAWAY), 2_000));
      const waiting = failureOf(workers.run(request('select count(*) from big'), 200));
      const refused = await failureOf(workers.run(request('select count(*) from big'), 200));
      assert.equal(refused.code, 'LIMIT_EXCEEDED');
      assert.match(refused.message, /statements waiting for a query worker/);
      assert.equal((await waiting).code, 'TIMEOUT');
      assert.equal((await runaway).code, 'TIMEOUT');
    } finally {
      await workers.close();
    }
  });

  it('a result past its byte limit is refused with LIMIT_EXCEEDED naming the limit, and the worker lives on', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const error = await failureOf(workers.run({ ...request("select id, v || printf('%.2000c', 'x') from big"), bytesMax: 50_000 }, 10_000));
      assert.equal(error.code, 'LIMIT_EXCEEDED');
      assert.match(error.message, /bytes of one result.*50000/);
      assert.deepEqual((await workers.run(request('select count(*) from big'), 10_000)).rows, [[2_000]]);
    } finally {
      await workers.close();
    }
  });

  it('a statement whose worker grows past its memory limit is stopped with LIMIT_EXCEEDED naming queryMemoryBytesMax, and the next gets a fresh worker', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    // One value growing by 1,000 bytes a row over 4,000,000 rows: 4 GB if nothing stopped it.
    const hungry = "select length(group_concat(printf('%.1000c', 'x'))) from big a, big b";
    try {
      const started = Date.now();
      const error = await failureOf(workers.run({ ...request(hungry), memoryBytesMax: 32 * 1024 * 1024 }, 20_000));
      assert.equal(error.code, 'LIMIT_EXCEEDED', error.message);
      assert.match(error.message, /memory of one query in bytes \(the setting queryMemoryBytesMax\) exceeds the limit of 33554432/);
      assert.ok(Date.now() - started < 10_000, 'stopped by its deadline, not by its memory');
      assert.deepEqual((await workers.run(request('select count(*) from big'), 10_000)).rows, [[2_000]]);
    } finally {
      await workers.close();
    }
  });

  it('a failing statement comes back as its catalog error, and the worker lives on', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const error = await failureOf(workers.run(request('select nope from big'), 10_000));
      assert.notEqual(error.code, 'TIMEOUT');
      assert.match(error.message, /nope/);
      assert.equal(workers.size, 1);
      assert.deepEqual((await workers.run(request('select count(*) from big where id < 10'), 10_000)).rows, [[10]]);
    } finally {
      await workers.close();
    }
  });

  it('a table file replaced under its name is let go by the workers: the same worker serves on, from the new file', async () => {
    // As a drop and a create of the same name, or a snapshot installed: another file at
    // the path. A worker still attached to the old one would go on reading its rows.
    const swapped = join(dir, 'swapped.sqlite');
    const tableOf = (file: string, rows: number) => {
      const db = new Database(file);
      db.exec('create table big (id integer primary key, v text)');
      for (let id = 0; id < rows; id++) db.prepare('insert into big values (?, ?)').run(id, `v${id}`);
      db.close();
    };
    tableOf(swapped, 3);
    const count = { ...request('select count(*) from big'), tables: [{ name: 'big', path: swapped }] };
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      assert.deepEqual((await workers.run(count, 10_000)).rows, [[3]]);
      tableOf(`${swapped}.new`, 7);
      renameSync(`${swapped}.new`, swapped);
      workers.detach('big');
      assert.deepEqual((await workers.run(count, 10_000)).rows, [[7]], 'the worker read the file that was replaced');
      assert.deepEqual([workers.size, workers.started], [1, 1], 'a worker was started again');
    } finally {
      await workers.close();
    }
  });

  it('a table file that changes while a worker runs a statement on it is let go after that statement, which finishes', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    try {
      const running = workers.run(request("select count(*) from big a, big b where a.id < 400 and b.v like '%9%'"), 10_000);
      workers.detach('big');
      assert.equal((await running).rows.length, 1);
      assert.deepEqual((await workers.run(request('select count(*) from big'), 10_000)).rows, [[2_000]]);
      assert.equal(workers.started, 1);
    } finally {
      await workers.close();
    }
  });

  it('a worker whose scan its limits cut short (rows cut, bytes refused) holds no read transaction: its next scan sees a row committed since, and a checkpoint is not held back', async () => {
    const workers = new QueryWorkers({ workersMax: 1, waitingMax: 4, logger: quiet });
    const insert = owner.prepare('insert into big values (?, ?)');
    const remove = owner.prepare('delete from big where id >= 10000');
    try {
      const cut = await workers.run(request('select id, v from big'), 10_000);
      assert.equal(cut.truncated, true);
      insert.run(10_000, 'after the cut');
      assert.deepEqual((await workers.run(request('select v from big where id = 10000'), 10_000)).rows, [['after the cut']], 'the worker read an old snapshot');
      const refused = await failureOf(workers.run({ ...request('select id, v from big'), bytesMax: 1_000 }, 10_000));
      assert.equal(refused.code, 'LIMIT_EXCEEDED', refused.message);
      insert.run(10_001, 'after the refusal');
      assert.deepEqual(
        (await workers.run(request('select v from big where id = 10001'), 10_000)).rows,
        [['after the refusal']],
        'the worker read an old snapshot',
      );
      // A reader holding a snapshot makes a TRUNCATE checkpoint busy.
      assert.deepEqual(owner.pragma('wal_checkpoint(TRUNCATE)'), [{ busy: 0, log: 0, checkpointed: 0 }]);
      assert.equal(workers.started, 1, 'the same worker served every statement');
    } finally {
      remove.run();
      await workers.close();
    }
  });
});
