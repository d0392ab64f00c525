import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, capHistory, HISTORY_ENTRIES_MAX, historyEntry, holdsPassword, loadHistory } from '../src/history-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minisql-history-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('history file', () => {
  it('joins a statement typed over several lines into one entry', () => {
    assert.equal(historyEntry(['select *  ', '', '   from t;']), 'select * from t;');
  });

  it('keeps no statement that carries a password', () => {
    assert.equal(holdsPassword("create user ada identified by 'a long passphrase';"), true);
    assert.equal(holdsPassword("ALTER USER ada\nIDENTIFIED  BY 'x';"), true);
    assert.equal(holdsPassword("select 'identified' from t;"), false);
  });

  it('keeps the newest entries when capping', () => {
    assert.deepEqual(capHistory(['a', 'b', 'c'], 2), ['b', 'c']);
  });

  it('loads nothing from a missing file', async () => {
    assert.deepEqual(await loadHistory(join(dir, 'absent')), []);
  });

  it('appends entries readable by the next load, in order, private to the owner', async () => {
    const path = join(dir, 'appended');
    await appendHistory(path, 'select 1;');
    await appendHistory(path, 'show tables;');
    assert.deepEqual(await loadHistory(path), ['select 1;', 'show tables;']);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('cuts a file over the cap down to the newest entries when loading', async () => {
    const path = join(dir, 'long');
    const entries = Array.from({ length: HISTORY_ENTRIES_MAX + 5 }, (_, i) => `select ${i};`);
    await writeFile(path, `${entries.join('\n')}\n`);
    const loaded = await loadHistory(path);
    assert.equal(loaded.length, HISTORY_ENTRIES_MAX);
    assert.equal(loaded[0], 'select 5;');
    assert.equal((await readFile(path, 'utf8')).split('\n').filter(Boolean).length, HISTORY_ENTRIES_MAX);
  });
});
