/**
 * A replica that applies its primary's log entries ends in exactly the primary's state,
 * whatever the write: time and randomness are fixed on the primary and repeated on the
 * replica, what cannot be repeated is refused, and a replica whose copy differs is caught
 * by the entry it cannot repeat. Real SQLite files, two engines side by side.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MiniSqlError } from '@minisql/common';
import type { ExecutionOutcome, LoggedWrite } from '../src/sql-engine.js';
import { openEngine, removeEngines, selectRows, type EngineFixture } from './support/engine-fixture.js';

type Member = EngineFixture;
const TABLE = 'create table t (id int primary key, r bigint, stamp varchar(64), day varchar(16), token varchar(64));';

function openMember(): Member {
  const member = openEngine();
  member.engine.execute(TABLE);
  return member;
}

const rows = selectRows;

/** Runs writes on the primary as one batch; every one must succeed. */
function write(member: Member, ...sqls: string[]): LoggedWrite[] {
  const outcomes = member.engine.executeBatch(sqls.map((sql, i) => ({ sql, params: [], requestId: `req-${Date.now()}-${i}-${Math.random()}` })));
  return outcomes.map((outcome: ExecutionOutcome | MiniSqlError) => {
    if (outcome instanceof MiniSqlError) throw outcome;
    assert.ok(outcome.write, 'the write was logged');
    return outcome.write;
  });
}

let primary: Member;
let replica: Member;
beforeEach(() => {
  primary = openMember();
  replica = openMember();
});
afterEach(removeEngines);

describe('deterministic replication', () => {
  it("repeats random(), randomblob(), 'now', current_timestamp and current_date on the replica exactly", async () => {
    const first = write(
      primary,
      "insert into t values (1, random() % 1000000000, strftime('%Y-%m-%d %H:%M:%f', 'now'), current_date, hex(randomblob(16)));",
      "insert into t values (2, abs(random()) % 1000, datetime(), date('now', '+1 day'), lower(hex(randomblob(8))));",
    );
    // The replica applies later, with another clock: the primary's time must still win.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = write(primary, "update t set r = random() % 1000000000, stamp = strftime('%H:%M:%f', 'now') || current_timestamp where id = 1;");
    replica.engine.applyBatch([...first, ...second]);
    const all = 'select id, r, stamp, day, token from t order by id;';
    assert.deepEqual(rows(replica, all), rows(primary, all));
    const [one, two] = rows(primary, all);
    assert.notEqual(one?.[1], two?.[1], 'each write draws its own random values');
    assert.match(String(one?.[4]), /^[0-9A-F]{32}$/);
  });

  it("fixes 'now' once per write: every row and every call of one write sees the same instant", () => {
    const inserted = write(primary, "insert into t values (1, 0, strftime('%f', 'now'), '', ''), (2, 0, strftime('%f', 'now'), '', '');");
    replica.engine.applyBatch(inserted);
    const stamps = rows(replica, 'select stamp from t order by id;').map((row) => row[0]);
    assert.equal(stamps[0], stamps[1]);
  });

  it('refuses in writes what a replica could not repeat, as NON_DETERMINISTIC naming the function, and writes nothing', () => {
    write(primary, "insert into t values (1, 0, '', '', '');");
    for (const [sql, named] of [
      ['insert into t values (2, changes(), null, null, null);', 'changes()'],
      ['insert into t values (2, last_insert_rowid(), null, null, null);', 'last_insert_rowid()'],
      ['update t set r = total_changes() where id = 1;', 'total_changes()'],
      ["update t set stamp = datetime('now', 'localtime') where id = 1;", "'localtime' modifier"],
    ] as const) {
      const [outcome] = primary.engine.executeBatch([{ sql, params: [], requestId: `refused-${named}` }]);
      assert.ok(outcome instanceof MiniSqlError, `${sql} was refused`);
      assert.equal(outcome.code, 'NON_DETERMINISTIC', outcome.message);
      assert.ok(outcome.message.includes(named), outcome.message);
    }
    assert.deepEqual(rows(primary, 'select id, r, stamp from t;'), [[1, 0, '']]);
    assert.equal(primary.catalog.require('t').position, 1, 'no refused write was logged');
    // Reads are not replicated: the same functions answer there.
    assert.equal(rows(primary, "select count(*) from t where datetime('now', 'localtime') is not null;")[0]?.[0], 1);
  });

  it('catches a replica whose row differs at the first entry that touches it: REPLICA_DIVERGED, the entry not kept', () => {
    const inserted = write(primary, "insert into t values (1, 10, 'a', '', ''), (2, 20, 'b', '', '');");
    replica.engine.applyBatch(inserted);
    // The test hook: change the replica's copy behind the log's back.
    replica.catalog.require('t').exec("UPDATE t SET stamp = 'tampered' WHERE id = 2");
    const updated = write(primary, 'update t set r = r + 1 where id = 2;');
    assert.throws(
      () => replica.engine.applyBatch(updated),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'REPLICA_DIVERGED' && /position 2 of table `t`/.test(error.message),
    );
    assert.equal(replica.catalog.require('t').position, 1);
    assert.deepEqual(rows(replica, 'select r from t where id = 2;'), [[20]]);
  });

  it('catches an entry that changes another number of rows on the replica than on the primary', () => {
    replica.engine.applyBatch(write(primary, "insert into t values (1, 10, 'a', '', '');"));
    replica.catalog.require('t').exec("INSERT INTO t VALUES (2, 10, 'extra', '', '')");
    assert.throws(
      () => replica.engine.applyBatch(write(primary, 'delete from t where r = 10;')),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'REPLICA_DIVERGED' && /changed 1 row\(s\).*here it changed 2/.test(error.message),
    );
  });

  it('refuses an entry for a log position it holds with another entry, and skips the same entry sent again', () => {
    const mine = write(primary, "insert into t values (1, 1, 'mine', '', '');");
    replica.engine.applyBatch(mine);
    replica.engine.applyBatch(mine);
    assert.equal(replica.catalog.require('t').position, 1);
    // Another primary's entry at the same position, as after a failover to a member that lacked it.
    const other = openMember();
    const theirs = write(other, "insert into t values (1, 1, 'theirs', '', '');");
    assert.equal(theirs[0]?.record.position, 1);
    assert.throws(
      () => replica.engine.applyBatch(theirs),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'REPLICA_DIVERGED' && /holds request req-/.test(error.message),
    );
  });

  it('refuses a random value on the replica that the primary never drew', () => {
    const [entry] = write(primary, "insert into t values (1, random() % 1000000000, '', '', '');");
    assert.ok(entry !== undefined && entry.record.seed !== '');
    assert.throws(
      () => replica.engine.applyBatch([{ ...entry, record: { ...entry.record, seed: '' } }]),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'REPLICA_DIVERGED' && /random\(\)/.test(error.message),
    );
  });
});
