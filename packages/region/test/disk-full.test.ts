/**
 * A full disk, for real: the region's data directory on a 3 MiB tmpfs. Writes that do
 * not fit are refused with DISK_FULL naming the table; the region stays up and reads go on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MiniSqlError } from '@minisql/common';
import { RegionFixture } from './support/region-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'minisql-full-disk-'));
let mounted = false;
let region: RegionFixture | undefined;

before(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir]);
  mounted = true;
});
after(async () => {
  await region?.stop();
  if (mounted) execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a full disk', () => {
  it('refuses the writes that do not fit with DISK_FULL naming the table, keeps the region up and serves reads', async () => {
    region = await RegionFixture.start(dir);
    await region.execute('create table filler (id int primary key, v text);');
    const row = 'x'.repeat(20_000);
    let written = 0;
    let failure: MiniSqlError | undefined;
    // 3 MiB hold at most ~150 rows of 20 KB; the bound only stops a broken test.
    for (let id = 0; id < 400 && failure === undefined; id++) {
      try {
        await region.execute('insert into filler values (?, ?);', [id, row]);
        written += 1;
      } catch (error) {
        failure = error as MiniSqlError;
      }
    }
    assert.ok(failure, `${written} rows of 20 KB fitted on a 3 MiB disk`);
    assert.equal(failure.code, 'DISK_FULL', failure.message);
    assert.match(failure.message, /table `filler` is full/);
    await region.client.ping();
    assert.deepEqual(await region.rows('select count(*) from filler;'), [[written]]);
    assert.deepEqual(await region.rows('select length(v) from filler where id = 0;'), [[20_000]]);
  });
});
