/** Settings of a table file's SQLite connection. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeStatement } from '@minisql/common';
import { LOG_ENTRIES_KEPT, TableFile } from '../src/table-file.js';

const dir = mkdtempSync(join(tmpdir(), 'minisql-table-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a table file', () => {
  it("keeps the page cache it is given, not better-sqlite3's 16 MB", () => {
    const statement = analyzeStatement('create table t (a int primary key);');
    assert.equal(statement.kind, 'create_table');
    const path = join(dir, TableFile.fileName('t'));
    const options = { statementCacheSize: 4, synchronous: 'NORMAL' as const, pageCacheKiB: 512 };
    TableFile.create(path, statement.definition, options).close();
    const table = TableFile.open(path, options);
    try {
      assert.deepEqual(table.prepare('PRAGMA cache_size').get(), { cache_size: -512 });
      assert.deepEqual(table.prepare('PRAGMA journal_mode').get(), { journal_mode: 'wal' });
    } finally {
      table.close();
    }
  });

  it(`keeps the log after a held position past ${LOG_ENTRIES_KEPT} entries (a copy in flight), and trims it once released`, () => {
    const statement = analyzeStatement('create table held (a int primary key);');
    assert.equal(statement.kind, 'create_table');
    const path = join(dir, TableFile.fileName('held'));
    const table = TableFile.create(path, statement.definition, { statementCacheSize: 4, synchronous: 'NORMAL', pageCacheKiB: 512 });
    const log = (count: number) => {
      for (let batch = 0; batch < count; batch += 1_000) {
        table.transaction(() => {
          for (let i = 0; i < Math.min(1_000, count - batch); i++)
            table.recordWrite({ requestId: '', sql: 'x', params: '[]', rowsAffected: 0, nowMs: 0, seed: '', checksum: '' });
        });
      }
    };
    try {
      log(1_000);
      const release = table.holdLogAfter(table.position);
      log(LOG_ENTRIES_KEPT + 2_000);
      const tail = table.logSince(1_000);
      assert.ok(tail !== undefined, 'entries a copy in flight needs were trimmed');
      assert.equal(tail.length, LOG_ENTRIES_KEPT + 2_000);
      release();
      log(1_000);
      assert.equal(table.logSince(1_000), undefined, 'the log was not trimmed once the copy was done');
    } finally {
      table.close();
    }
  });
});
