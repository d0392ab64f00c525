/**
 * Group commit in SQLite: a batch of writes to one table is one transaction, and a
 * replica applies a shipped batch in one transaction. When a write fails, the batch runs
 * again with a savepoint per write (the cases below), so the failing write is undone
 * alone. A write and its log entry (with its request id) are kept together or not at all.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MiniSqlError } from '@minisql/common';
import type { ExecutionOutcome, LoggedWrite } from '../src/sql-engine.js';
import type { PendingWrite } from '../src/write-pipeline.js';
import { closeEngine, openEngine, removeEngines, selectRows, type EngineFixture } from './support/engine-fixture.js';

function logged(outcomes: Array<ExecutionOutcome | MiniSqlError>): LoggedWrite[] {
  return outcomes.flatMap((outcome) => (outcome instanceof MiniSqlError || !outcome.write ? [] : [outcome.write]));
}

let primary: EngineFixture;
beforeEach(() => {
  primary = openEngine();
  primary.engine.execute('create table kv (k int primary key, v varchar(8));');
  primary.engine.execute('create table other (k int primary key);');
});
afterEach(() => {
  removeEngines();
});

describe('a batch of writes on the primary', () => {
  it('keeps every write but the failing one, with contiguous log positions', () => {
    const outcomes = primary.engine.executeBatch([
      { sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'r1' },
      { sql: 'insert into kv values (?, ?);', params: [1, 'dup'], requestId: 'r2' },
      { sql: 'insert into other values (?);', params: [7], requestId: 'r3' },
      { sql: "insert into kv values (2, 'b'), (3, 'much too long');", params: [], requestId: 'r4' },
      { sql: 'insert into kv values (?, ?);', params: [4, 'd'], requestId: 'r5' },
      { sql: 'insert into nowhere values (1);', params: [], requestId: 'r6' },
    ]);
    const errors = outcomes.map((outcome) => (outcome instanceof MiniSqlError ? outcome.code : 'ok'));
    assert.deepEqual(errors, ['ok', 'DUPLICATE_KEY', 'ok', 'VALUE_TOO_LONG', 'ok', 'TABLE_NOT_FOUND']);
    // Row 2 of the failed multi-row insert was written before row 3 failed: its savepoint undid it.
    assert.deepEqual(selectRows(primary, 'select k, v from kv order by k;'), [
      [1, 'a'],
      [4, 'd'],
    ]);
    assert.deepEqual(
      logged(outcomes).map((w) => [w.table, w.record.position, w.record.requestId]),
      [
        ['kv', 1, 'r1'],
        ['other', 1, 'r3'],
        ['kv', 2, 'r5'],
      ],
    );
    assert.equal(primary.catalog.require('kv').position, 2);
    // A failed write leaves no log entry and no request id: it can be sent again.
    assert.deepEqual(
      primary.catalog
        .require('kv')
        .logSince(0)
        ?.map((r) => r.requestId),
      ['r1', 'r5'],
    );
    assert.equal(primary.catalog.require('kv').findRequest('r2'), undefined);
  });

  it('undoes a write whose log entry cannot be written', () => {
    // A stray entry at the next position makes logging the write fail after the row went in.
    primary.catalog.require('kv').exec("INSERT INTO minisql_log (position, request_id, sql, params, rows_affected) VALUES (1, 'stray', 'x', '[]', 0)");
    const outcomes = primary.engine.executeBatch([{ sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'r1' }]);
    assert.ok(outcomes[0] instanceof MiniSqlError);
    assert.deepEqual(selectRows(primary, 'select k from kv;'), []);
    assert.equal(primary.catalog.require('kv').findRequest('r1'), undefined);
    assert.equal(primary.catalog.require('kv').position, 0);
  });

  it('answers a retry inside the same batch from the log, applying the write once', () => {
    const outcomes = primary.engine.executeBatch([
      { sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'same' },
      { sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'same' },
    ]);
    assert.equal(logged(outcomes).length, 1);
    assert.deepEqual(
      outcomes.map((o) => (o instanceof MiniSqlError ? o.code : o.result.rows_affected)),
      [1, 1],
    );
  });

  it("runs a write handed over by the write pipeline, which carries its table's name, on that table's file and logs it", () => {
    // The pipeline's PendingWrite names its table (`table: 'kv'`); the engine's own
    // `table` (the table file) must win over that name wherever the two meet.
    const handedOver: PendingWrite[] = [
      { sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'p1', table: 'kv', resolve: () => {} },
      { sql: 'update kv set v = ? where k = ?;', params: ['b', 1], requestId: 'p2', table: 'kv', resolve: () => {} },
    ];
    const outcomes = primary.engine.executeBatch(handedOver);
    assert.deepEqual(
      outcomes.map((o) => (o instanceof MiniSqlError ? `${o.code}: ${o.message}` : o.result.rows_affected)),
      [1, 1],
    );
    assert.deepEqual(selectRows(primary, 'select k, v from kv;'), [[1, 'b']]);
    assert.deepEqual(
      logged(outcomes).map((w) => [w.table, w.record.position, w.record.requestId]),
      [
        ['kv', 1, 'p1'],
        ['kv', 2, 'p2'],
      ],
    );
  });

  it('keeps the log position across a reopen of the table files', () => {
    primary.engine.executeBatch([1, 2, 3].map((k) => ({ sql: 'insert into kv values (?, ?);', params: [k, 'x'], requestId: `r${k}` })));
    closeEngine(primary);
    const reopened = openEngine(primary.dataDir);
    assert.equal(reopened.catalog.require('kv').position, 3);
    assert.deepEqual(reopened.catalog.require('kv').findRequest('r2'), { position: 2, rowsAffected: 1 });
  });
});

describe('a shipped batch on a replica', () => {
  it('applies the entries of several tables and skips those it already has', () => {
    const writes = logged(
      primary.engine.executeBatch([
        { sql: 'insert into kv values (?, ?);', params: [1, 'a'], requestId: 'r1' },
        { sql: 'insert into other values (?);', params: [7], requestId: 'r2' },
        { sql: 'update kv set v = ? where k = ?;', params: ['b', 1], requestId: 'r3' },
      ]),
    );
    const replica = openEngine();
    replica.engine.execute('create table kv (k int primary key, v varchar(8));');
    replica.engine.execute('create table other (k int primary key);');
    replica.engine.applyBatch(writes);
    replica.engine.applyBatch(writes);
    assert.deepEqual(selectRows(replica, 'select k, v from kv;'), [[1, 'b']]);
    assert.deepEqual(selectRows(replica, 'select k from other;'), [[7]]);
    assert.equal(replica.catalog.require('kv').position, 2);
    assert.deepEqual(replica.catalog.require('kv').findRequest('r3'), { position: 2, rowsAffected: 1 });
  });

  it('commits the entries before one that fails and keeps nothing of that one', () => {
    const replica = openEngine();
    replica.engine.execute('create table kv (k int primary key, v varchar(8));');
    const entry = (position: number, sql: string) => ({
      table: 'kv',
      record: { position, requestId: `r${position}`, sql, params: '[]', rowsAffected: 1, nowMs: 0, seed: '', checksum: '' },
    });
    // Entries no primary would log (entry 2 collides with entry 1), as from a diverged log.
    assert.throws(
      () =>
        replica.engine.applyBatch([
          entry(1, "insert into kv values (5, 'a');"),
          entry(2, "insert into kv values (4, 'b'), (5, 'c');"),
          entry(3, "insert into kv values (6, 'd');"),
        ]),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'DUPLICATE_KEY',
    );
    assert.deepEqual(selectRows(replica, 'select k from kv order by k;'), [[5]]);
    assert.equal(replica.catalog.require('kv').position, 1);
    assert.throws(() => replica.engine.applyBatch([entry(3, "insert into kv values (6, 'd');")]), /leaves a gap/);
  });
});
