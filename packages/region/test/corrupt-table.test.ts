/**
 * A table file damaged while the region was down (a disk error, a stray write): the
 * region starts without it instead of failing to start again and again, sets the file
 * aside for inspection, and serves its other tables.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegionFixture } from './support/region-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'minisql-corrupt-'));
let region: RegionFixture | undefined;
after(async () => {
  await region?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a table file that cannot be opened at start', () => {
  it('is set aside as .corrupt; the region starts, serves its other tables, and the name can be used again', async () => {
    region = await RegionFixture.start(dir);
    await region.execute('create table good (id int primary key, v text);');
    await region.execute('create table bad (id int primary key, v text);');
    await region.execute("insert into good values (1, 'kept');");
    await region.execute("insert into bad values (1, 'lost');");
    await region.stop(true);
    region = undefined;
    const file = join(dir, 'tables', 'bad.sqlite');
    for (const suffix of ['-wal', '-shm']) rmSync(file + suffix, { force: true });
    writeFileSync(file, Buffer.alloc(8192, 0x5a)); // not a SQLite database any more

    region = await RegionFixture.start(dir);
    assert.deepEqual(await region.rows('select v from good;'), [['kept']]);
    const missing = await region.fails('select * from bad;');
    assert.equal(missing.code, 'TABLE_NOT_FOUND');
    assert.ok(existsSync(`${file}.corrupt`), 'the damaged file was not kept for inspection');
    await region.execute('create table bad (id int primary key, v text);');
    assert.deepEqual(await region.rows('select count(*) from bad;'), [[0]]);
  });
});
