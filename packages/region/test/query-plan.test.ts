import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isBoundedPlan, manyRowSteps } from '../src/query-plan.js';

/** The plan SQLite makes for `sql` over a table with an index and one with a unique column. */
function plan(sql: string): string[] {
  const db = new Database(':memory:');
  try {
    db.exec('create table big (id integer primary key, v text); create index big_v on big (v); create table kv (k integer primary key, v text unique)');
    const params = Array.from({ length: sql.split('?').length - 1 }, () => 1);
    const steps = db.prepare(`explain query plan ${sql}`).all(...params) as Array<{ detail: string }>;
    return steps.map((row) => row.detail);
  } finally {
    db.close();
  }
}

const bounded = (sql: string): boolean => isBoundedPlan(plan(sql));

describe('selects bounded by the rows they look up', () => {
  it('a lookup by primary key, by an indexed value, of min/max, or over an OR of indexes is bounded', () => {
    for (const sql of [
      'select v from big where id = ?',
      'select * from big where v = ?',
      'select * from big where id in (1, 2, 3)',
      'select max(id) from big',
      'select * from big where id = ? or v = ?',
      'select * from big a join kv b on a.id = b.k where a.id = ?',
      'select * from big where id = (select max(k) from kv)',
      'select 1 + 1',
      // kv.v is unique: each lookup finds one row.
      'select * from big a join kv b on a.v = b.v where a.id = ?',
    ]) {
      assert.equal(bounded(sql), true, sql);
    }
  });

  it('a scan, a range, a cross join and a CTE are not: they run where a deadline can stop them', () => {
    for (const sql of [
      'select count(*) from big',
      'select * from big where id > ?',
      'select count(*) from big a, big b, big c',
      'select * from big order by v limit 10',
      'with x as (select 1) select * from x',
      'select * from big where v like ?',
      // big_v is not unique: every row may share the value, and the join multiplies them.
      'select count(*) from big a join big b on a.v = b.v where a.v = ?',
    ]) {
      assert.equal(bounded(sql), false, sql);
    }
  });

  it('an empty plan is not bounded', () => {
    assert.equal(isBoundedPlan([]), false);
  });
});

describe("writes, which run on the region's thread whatever they are", () => {
  it('a write that passes over its table once, or looks rows up, has at most one step visiting many rows', () => {
    for (const sql of [
      'update big set v = ? where id = ?',
      'update big set v = ?',
      'delete from big where v = ?',
      'update big set v = ? where id in (select id from big where v = ?)',
    ]) {
      assert.ok(manyRowSteps(plan(sql)) <= 1, `${sql}: ${plan(sql).join(' | ')}`);
    }
  });

  it('a write that scans its table inside a scan of it has several (nested passes run for ever on a large table)', () => {
    for (const sql of [
      'update big set v = (select count(*) from big a, big b, big c) where id = ?',
      'update big set v = (select count(*) from big b where b.v > big.v)',
    ]) {
      assert.ok(manyRowSteps(plan(sql)) > 1, `${sql}: ${plan(sql).join(' | ')}`);
    }
  });
});
