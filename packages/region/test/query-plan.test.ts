import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isBoundedPlan } from '../src/query-plan.js';

/** The plan SQLite makes for `sql` over a table with an index, as isBoundedPlan sees it. */
function bounded(sql: string): boolean {
  const db = new Database(':memory:');
  try {
    db.exec('create table big (id integer primary key, v text); create index big_v on big (v); create table kv (k integer primary key, v text)');
    const params = Array.from({ length: sql.split('?').length - 1 }, () => 1);
    const plan = db.prepare(`explain query plan ${sql}`).all(...params) as Array<{ detail: string }>;
    return isBoundedPlan(plan.map((row) => row.detail));
  } finally {
    db.close();
  }
}

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
    ]) {
      assert.equal(bounded(sql), false, sql);
    }
  });

  it('an empty plan is not bounded', () => {
    assert.equal(isBoundedPlan([]), false);
  });
});
