/** Settings of a table file's SQLite connection. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeStatement } from '@minisql/common';
import { TableFile } from '../src/table-file.js';

const dir = mkdtempSync(join(tmpdir(), 'minisql-table-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a table file', () => {
  it('keeps the page cache it is given, not better-sqlite3\'s 16 MB', () => {
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
});
