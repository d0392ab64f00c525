/** Tables, rows and indexes live in the files: a region restarted on its directory has them all. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegionFixture } from './support/region-fixture.js';

const directories: string[] = [];
after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

describe('a restarted region', () => {
  it('keeps tables, rows, defaults and indexes across a clean stop', async () => {
    const first = await RegionFixture.start();
    directories.push(first.dataDir);
    await first.execute("create table kept (id int primary key, name char(8) unique, note text default 'n');");
    await first.execute("insert into kept (id, name) values (1, 'a'), (2, 'b');");
    await first.execute('create index kept_note on kept (note);');
    await first.stop(true);

    const second = await RegionFixture.start(first.dataDir);
    try {
      assert.deepEqual(await second.rows('select * from kept order by id;'), [
        [1, 'a', 'n'],
        [2, 'b', 'n'],
      ]);
      assert.ok((await second.rows('show indexes from kept;')).some((row) => row[1] === 'kept_note'));
      assert.equal((await second.fails("insert into kept (id, name) values (3, 'a');")).code, 'DUPLICATE_KEY');
      await second.execute('drop index kept_note;');
    } finally {
      await second.stop(true);
    }
  });

  it('keeps every acknowledged write after kill -9', async () => {
    const first = await RegionFixture.start();
    directories.push(first.dataDir);
    await first.execute('create table crash (id int primary key, v int);');
    const acknowledged: number[] = [];
    for (let id = 0; id < 200; id += 1) {
      await first.execute('insert into crash values (?, ?);', [id, id * 2]);
      acknowledged.push(id);
    }
    await first.process.stop('SIGKILL');
    first.client.close();

    const second = await RegionFixture.start(first.dataDir);
    try {
      const ids = (await second.rows('select id from crash order by id;')).map((row) => row[0]);
      assert.deepEqual(ids, acknowledged);
    } finally {
      await second.stop(true);
    }
  });

  it('removes a table file a crash left half-made, and does not list it', async () => {
    const first = await RegionFixture.start();
    directories.push(first.dataDir);
    await first.stop(true);
    const partial = join(first.dataDir, 'tables', 'half.sqlite.partial');
    writeFileSync(partial, 'not a database');
    const second = await RegionFixture.start(first.dataDir);
    try {
      assert.equal(existsSync(partial), false);
      assert.deepEqual(await second.rows('show tables;'), []);
    } finally {
      await second.stop(true);
    }
  });

  it('deletes the file of a dropped table', async () => {
    const region = await RegionFixture.start();
    directories.push(region.dataDir);
    try {
      await region.execute('create table gone (id int primary key);');
      assert.ok(readdirSync(join(region.dataDir, 'tables')).includes('gone.sqlite'));
      await region.execute('drop table gone;');
      assert.deepEqual(
        readdirSync(join(region.dataDir, 'tables')).filter((f) => f.startsWith('gone')),
        [],
      );
    } finally {
      await region.stop(true);
    }
  });
});
