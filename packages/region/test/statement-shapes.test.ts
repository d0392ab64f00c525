/**
 * Literal statements run as their shapes (literals lifted into parameters), and mean
 * exactly what their text says: ordinals, limits, result column names, integer
 * arithmetic, DDL and the determinism checks are as they were, and a replica that applies
 * the logged shape ends with the primary's rows. Real SQLite files, engines side by side.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MiniSqlError } from '@minisql/common';
import type { LoggedWrite } from '../src/sql-engine.js';
import { openEngine, removeEngines, selectRows } from './support/engine-fixture.js';

afterEach(removeEngines);

function withTable() {
  const fixture = openEngine();
  fixture.engine.execute('create table t (id int primary key, grp char(8) not null, f float, n int)');
  for (const [id, grp] of [
    [1, 'a'],
    [2, 'b'],
    [3, 'b'],
    [4, 'c'],
    [5, 'c'],
    [6, 'c'],
  ] as const) {
    fixture.engine.execute(`insert into t (id, grp, f, n) values (${id}, '${grp}', ${id}.5, ${id * 10})`);
  }
  return fixture;
}

function logged(fixture: ReturnType<typeof openEngine>, sql: string, requestId: string): LoggedWrite {
  const outcome = fixture.engine.executeLogged(sql, [], requestId);
  assert.ok(outcome.write, `${sql} was logged`);
  return outcome.write;
}

describe('literal statements as shapes', () => {
  it('group by 1, order by 2, limit 3 and offset keep their meaning', () => {
    const fixture = withTable();
    assert.deepEqual(selectRows(fixture, 'select grp, count(*) from t where id > 0 group by 1 order by 2 desc, 1 limit 2 offset 1'), [
      ['b', 2],
      ['a', 1],
    ]);
    assert.deepEqual(selectRows(fixture, 'select id from t where id >= 2 order by 1 desc limit 3'), [[6], [5], [4]]);
  });

  it('result columns keep the names their text gives them', () => {
    const { engine } = withTable();
    const result = engine.execute("select 1 + 1, 'x', n * 2 from t where id = 1");
    assert.deepEqual(
      (result.columns ?? []).map((column) => column.name),
      ['1 + 1', "'x'", 'n * 2'],
    );
  });

  it('integer literals stay integers: 7 / 2 is 3, as SQLite reads the text, and 7.0 / 2 is 3.5', () => {
    const fixture = withTable();
    fixture.engine.execute('update t set f = 7 / 2 where id = 1');
    fixture.engine.execute('update t set f = 7.0 / 2 where id = 2');
    assert.deepEqual(selectRows(fixture, 'select f from t where id in (1, 2) order by id'), [[3], [3.5]]);
    assert.deepEqual(selectRows(fixture, "select typeof(n), n from t where n = 10 and grp = 'a'"), [['integer', 10]]);
  });

  it('texts of one shape are logged as that shape with their values, and a replica ends with the same rows', () => {
    const primary = withTable();
    const replica = openEngine();
    replica.engine.execute('create table t (id int primary key, grp char(8) not null, f float, n int)');
    const entries: LoggedWrite[] = [];
    // The replica starts from the same rows: copy the primary's inserts through its log.
    const start = primary.catalog.require('t').position;
    for (let position = 1; position <= start; position += 1) {
      const record = primary.catalog.require('t').logEntryAt(position);
      if (record) entries.push({ table: 't', record });
    }
    entries.push(logged(primary, "update t set n = n + 1, grp = 'z' where id = 4", 'r1'));
    entries.push(logged(primary, "update t set n = n + 100, grp = 'y' where id = 5", 'r2'));
    entries.push(logged(primary, 'update t set f = 9 / 4 where id = 6', 'r3'));
    const [first, second] = entries.slice(-3);
    assert.equal(first?.record.sql, 'update t set n = n + ?, grp = ? where id = ?');
    assert.equal(second?.record.sql, first?.record.sql, 'one shape for both texts');
    assert.equal(first?.record.params, '[{"int":"1"},"z",{"int":"4"}]');
    replica.engine.applyBatch(entries);
    const all = 'select id, grp, f, n from t order by id';
    assert.deepEqual(selectRows(replica, all), selectRows(primary, all));
    assert.deepEqual(selectRows(replica, 'select f from t where id = 6'), [[2]]);
  });

  it('a retry of a literal write is answered from the log, not applied twice', () => {
    const fixture = withTable();
    const sql = 'update t set n = n + 1 where id = 1';
    fixture.engine.executeLogged(sql, [], 'same');
    const again = fixture.engine.executeLogged(sql, [], 'same');
    assert.equal(again.write, undefined, 'not logged again');
    assert.deepEqual(selectRows(fixture, 'select n from t where id = 1'), [[11]]);
  });

  it("function arguments stay in the text: 'localtime' in a write is still refused by name", () => {
    const { engine } = withTable();
    assert.throws(
      () => engine.execute("update t set grp = datetime('now', 'localtime') where id = 1"),
      (error: MiniSqlError) => error.code === 'NON_DETERMINISTIC' && /localtime/.test(error.message),
    );
  });

  it('literals in DDL keep their meaning: a char length and a default', () => {
    const { engine } = withTable();
    engine.execute("create table d (id int primary key, c char(3) default 'ab')");
    engine.execute('insert into d (id) values (1)');
    assert.equal(engine.execute('select c from d where id = 1').rows?.[0]?.values?.[0]?.text, 'ab');
    assert.throws(
      () => engine.execute("insert into d (id, c) values (2, 'abcd')"),
      (error: MiniSqlError) => error.code === 'VALUE_TOO_LONG' && /'abcd'/.test(error.message),
    );
  });

  it('values of the wrong type are refused by name as before, and a syntax error points into the text the user sent', () => {
    const { engine } = withTable();
    assert.throws(
      () => engine.execute("insert into t (id, grp, n) values (9, 'q', 'many')"),
      (error: MiniSqlError) => error.code === 'TYPE_MISMATCH' && /'many'/.test(error.message) && /`n`/.test(error.message),
    );
    assert.throws(
      () => engine.execute("insert into t (id, grp) values (1, 'a')"),
      (error: MiniSqlError) => error.code === 'DUPLICATE_KEY' && /1/.test(error.message),
    );
    const bad = "select id from t where id = 123456 and and grp = 'a'";
    assert.throws(
      () => engine.execute(bad),
      (error: MiniSqlError) => error.code === 'SYNTAX_ERROR' && error.position === bad.indexOf('grp') + 1,
    );
  });
});
