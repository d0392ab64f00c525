/**
 * Which selects are read with one call into SQLite, as returning at most one row: only
 * `SELECT names FROM t WHERE key = value` on a unique key. Everything else keeps the row
 * iterator, which stops at the result limits as rows come. Real SQLite files.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, MiniSqlError } from '@minisql/common';
import { QueryConnection } from '../src/query-connection.js';
import { selectsAtMostOneRow } from '../src/single-row-select.js';
import { SqlEngine } from '../src/sql-engine.js';
import { TableCatalog } from '../src/table-catalog.js';
import { openEngine, removeEngines, selectRows } from './support/engine-fixture.js';

afterEach(removeEngines);

function withTable() {
  const fixture = openEngine();
  fixture.engine.execute('create table kv (id int primary key, code char(8) unique, grp int, v text)');
  for (let id = 1; id <= 6; id += 1) fixture.engine.execute(`insert into kv values (${id}, 'c${id}', ${id % 2}, 'v${id}')`);
  return fixture;
}

/** Whether the engine reads `sql` as one row: judged on the SQLite text its analysis makes, as the engine judges it. */
function oneRow(fixture: ReturnType<typeof withTable>, sql: string): boolean {
  return selectsAtMostOneRow(fixture.engine.analyze(sql).sql, fixture.catalog.require('kv').definition);
}

describe('a select read as one row', () => {
  it('is a list of names from one table where its primary key or a unique column equals one value', () => {
    const fixture = withTable();
    for (const sql of [
      'select * from kv where id = ?',
      'SELECT v, id FROM kv WHERE ID = 5;',
      'select kv.v, kv.* from `kv` where `id` = ?',
      "select v from kv where code = 'c1'",
      'select v from kv where code = "c1"',
      'select grp from kv where code = ?',
    ]) {
      assert.equal(oneRow(fixture, sql), true, sql);
    }
  });

  it('is not anything that may return more: OR, IN, another condition, a non-unique column, a column on the right, a join, a subquery, a compound, another table', () => {
    const fixture = withTable();
    for (const sql of [
      // SQLite gets `id = "grp"`: a column, not a string; every row may match.
      'select * from kv where id = `grp`',
      'select * from kv where id = `id`',
      'select * from kv where id = 1 or id = 2',
      'select * from kv where id in (1, 2)',
      'select * from kv where id = ? and grp = ?',
      'select * from kv where grp = ?',
      'select * from kv where id > ?',
      'select * from kv, other where id = ?',
      'select * from kv a where a.id = ?',
      'select * from kv where id = ? union all select * from kv where id = ?',
      'select (select count(*) from kv), v from kv where id = ?',
      'select count(*) from kv',
      'select * from other where id = ?',
      'select distinct v from kv where id = ?',
      'select * from kv where id = -1',
      'select * from kv where id = ? limit 1',
      'select * from kv where id = ? -- and then\n or 1',
      'select * from kv',
    ]) {
      assert.equal(oneRow(fixture, sql), false, sql);
    }
  });

  it('answers point selects, and every select around them, with the rows SQLite holds', () => {
    const fixture = withTable();
    assert.deepEqual(selectRows(fixture, 'select v, id from kv where id = 3'), [['v3', 3]]);
    assert.deepEqual(selectRows(fixture, "select id from kv where code = 'c4'"), [[4]]);
    assert.deepEqual(selectRows(fixture, 'select id from kv where id = 99'), []);
    assert.deepEqual(selectRows(fixture, 'select id from kv where id = 1 or id = 2 order by id'), [[1], [2]]);
    assert.deepEqual(selectRows(fixture, 'select id from kv where id in (5, 6) order by id'), [[5], [6]]);
    assert.deepEqual(selectRows(fixture, 'select id from kv where grp = 0 order by id'), [[2], [4], [6]]);
    assert.equal(selectRows(fixture, 'select id from kv where id = `id`').length, 6);
  });

  it('still refuses one row past the bytes of one result', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'minisql-engine-'));
    const catalog = new TableCatalog(dataDir, { statementCacheSize: 16, synchronous: 'NORMAL', pageCacheKiB: 2_048 }, new Logger('test', 'region', 'error'));
    catalog.load();
    const queries = new QueryConnection(16, 2_048);
    const engine = new SqlEngine(catalog, queries, { resultRowsMax: 1_000, resultBytesMax: 1_000, analysisCacheSize: 64, replicated: true });
    try {
      engine.execute('create table kv (id int primary key, v text)');
      engine.execute(`insert into kv values (1, '${'x'.repeat(2_000)}'), (2, 'small')`);
      assert.deepEqual(
        (engine.execute('select v from kv where id = 2').rows ?? []).map((row) => row.values?.[0]?.text),
        ['small'],
      );
      assert.throws(
        () => engine.execute('select v from kv where id = 1'),
        (error: unknown) => error instanceof MiniSqlError && error.code === 'LIMIT_EXCEEDED',
      );
    } finally {
      queries.close();
      catalog.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
