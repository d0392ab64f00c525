import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { statementShape } from '../src/statement-shape.js';

/** The shape's text and parameters, or null. */
function shape(sql: string, params: unknown[] = []) {
  const shaped = statementShape(sql, params as never[]);
  return shaped === null ? null : [shaped.sql, shaped.params];
}

describe('statement shapes', () => {
  it('lifts the literals of a point select, an insert, an update and a delete into parameters', () => {
    assert.deepEqual(shape('select v from kv where id = 4711'), ['select v from kv where id = ?', [4711n]]);
    assert.deepEqual(shape('insert into kv (id, v) values (1, \'a\'), (2, "b")'), ['insert into kv (id, v) values (?, ?), (?, ?)', [1n, 'a', 2n, 'b']]);
    assert.deepEqual(shape("update kv set v = 'it''s' where id = 7;"), ['update kv set v = ? where id = ?;', ["it's", 7n]]);
    assert.deepEqual(shape('delete from kv where id in (1, 2.5, -3e2)'), ['delete from kv where id in (?, ?, -3e2)', [1n, 2.5]]);
  });

  it('gives every text of one shape the same shape text', () => {
    const a = statementShape('select v from kv where id = 1', []);
    const b = statementShape('select v from kv where id = 99999', []);
    assert.equal(a?.sql, b?.sql);
  });

  it("keeps the caller's parameters in placeholder order among the lifted ones", () => {
    assert.deepEqual(shape('update kv set v = ? where id = 3 and w = ?', ['x', 'y']), ['update kv set v = ? where id = ? and w = ?', ['x', 3n, 'y']]);
  });

  it('integers are lifted as 64-bit integers and decimals as floats; integers beyond 64 bits and decimals with an integral value (1.0, 3e2) are not', () => {
    assert.deepEqual(shape('select v from kv where id = 9223372036854775807'), ['select v from kv where id = ?', [9_223_372_036_854_775_807n]]);
    assert.equal(shape('select v from kv where id = 9223372036854775808'), null);
    assert.deepEqual(shape('select v from kv where x = 1.5'), ['select v from kv where x = ?', [1.5]]);
    // As a JavaScript number 1.0 is 1, which would travel and bind as INTEGER.
    assert.equal(shape('select v from kv where x = 1.0'), null);
    assert.deepEqual(shape('insert into kv values (1, 1e3)'), ['insert into kv values (?, 1e3)', [1n]]);
  });

  it('keeps order by 1, group by 2, limit 3 and offset 4 as they are', () => {
    assert.deepEqual(shape('select a, count(*) from t where b = 5 group by 1 order by 2 desc limit 3 offset 4'), [
      'select a, count(*) from t where b = ? group by 1 order by 2 desc limit 3 offset 4',
      [5n],
    ]);
    assert.deepEqual(shape('select a from t group by a having count(*) > 1 order by 1'), ['select a from t group by a having count(*) > ? order by 1', [1n]]);
  });

  it('keeps literals that name result columns: the select list, subqueries in it, and returning', () => {
    assert.equal(shape("select 1 + 1, 'x' from t"), null);
    assert.deepEqual(shape('select (select max(v) from u where k = 5) from t where id = 6'), [
      'select (select max(v) from u where k = 5) from t where id = ?',
      [6n],
    ]);
    assert.deepEqual(shape('insert into t values (1) returning 2'), ['insert into t values (?) returning 2', [1n]]);
    assert.equal(shape("select 'a' is distinct from 'b'"), null);
  });

  it("keeps a function's arguments, so 'now' and other modifiers stay readable", () => {
    assert.deepEqual(shape("update t set d = strftime('%s', 'now'), n = 3 where id = 1"), [
      "update t set d = strftime('%s', 'now'), n = ? where id = ?",
      [3n, 1n],
    ]);
    assert.deepEqual(shape('select v from t where abs(x) = 2 and y in (select z from u where w = 3)'), [
      'select v from t where abs(x) = ? and y in (select z from u where w = ?)',
      [2n, 3n],
    ]);
  });

  it('keeps strings that are names, blobs, hex numbers, NULL and booleans', () => {
    assert.equal(shape("select v from 'kv'"), null);
    assert.equal(shape("select v from kv as 'k'"), null);
    assert.deepEqual(shape("select v from kv 'k' where b = x'00ff'"), null);
    assert.equal(shape('select v from kv where id = 0x1F'), null);
    assert.equal(shape('select v from kv where v is null or w = true'), null);
  });

  it('leaves alone what it cannot shape safely: DDL, windows, CTEs, numbered or named parameters, wrong parameter counts, bad syntax', () => {
    for (const sql of [
      "create table t (id int primary key, v char(20) default 'x')",
      'drop table t',
      'select sum(v) over (order by id rows 2 preceding) from t where id > 1',
      'with x as (select 1) select * from x where 2 = 2',
      'select v from t where id = ?1 and w = 2',
      'select v from t where id = :id and w = 2',
      'select v from t where id = @id and w = 2',
      "select v from t where w = 'unterminated",
      'select v from t where (w = 2',
      'select v from t where w = 2)',
    ]) {
      assert.equal(shape(sql), null, sql);
    }
    assert.equal(shape('select v from t where id = ? and w = 2', []), null, 'too few parameters');
    assert.equal(shape('select v from t where id = ? and w = 2', [1, 2]), null, 'too many parameters');
  });

  it('shapes nothing longer than the text limit', () => {
    const long = `select v from t where id in (${Array.from({ length: 600 }, (_, i) => i).join(', ')})`;
    assert.ok(long.length > 2_048);
    assert.equal(shape(long), null);
  });
});
