/**
 * The checksum behind `verify`, over real SQLite files: read in steps, with the event
 * loop free between them (a region whose loop stands for seconds misses its lease
 * renewals and loses its group), equal to one pass over every row, and refused when the
 * table is written while it runs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CHECKSUM_STEP_MS } from '../src/table-file.js';
import { RowChecksum } from '../src/row-checksum.js';
import { openEngine, removeEngines, type EngineFixture } from './support/engine-fixture.js';

after(removeEngines);

/** A table of `rows` rows of 1 MiB of text: 64 take about half a second to checksum in one pass. */
function bigTable(fixture: EngineFixture, name: string, rows: number): void {
  fixture.engine.execute(`create table ${name} (id int primary key, v text);`);
  for (let i = 0; i < rows; i++)
    fixture.engine.execute(`insert into ${name} values (?, ?);`, [BigInt(i), String.fromCharCode(97 + (i % 26)).repeat(1024 * 1024)]);
}

/** What one pass over every row gives, as the checksum was once made. */
function onePass(fixture: EngineFixture, name: string): { rows: number; checksum: string } {
  const sum = new RowChecksum();
  const file = fixture.catalog.require(name);
  for (const row of file.prepare(`SELECT * FROM ${name}`).raw(true).iterate() as IterableIterator<unknown[]>) sum.add(row);
  return { rows: sum.count, checksum: sum.digest() };
}

/**
 * A table of four rows and its checksum in steps of 0 ms (a row a step), resolved once
 * the checksum has let the loop go at the end of an early step (after its own
 * setImmediate), with rows still to read: what the caller does next lands between steps.
 */
async function checksumBetweenSteps(fixture: EngineFixture, name: string): Promise<{ checksum: Promise<unknown> }> {
  fixture.engine.execute(`create table ${name} (id int primary key, v text);`);
  for (let id = 0; id < 4; id++) fixture.engine.execute(`insert into ${name} values (?, ?);`, [BigInt(id), `row ${id}`]);
  const checksum = fixture.engine.tableChecksum(name, 0);
  // Handled by the caller's assertion; not left unhandled while the caller waits a turn.
  checksum.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  // Wrapped: an async function returning the promise itself would wait for it.
  return { checksum };
}

describe("verify's table checksum", () => {
  it(`lets the event loop run between steps of ${CHECKSUM_STEP_MS} ms on a table that takes about half a second, and sums what one pass does`, async () => {
    const fixture = openEngine();
    bigTable(fixture, 'big', 64);
    let longestGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const stepped = await fixture.engine.tableChecksum('big').finally(() => {
      // The stretch since the last tick counts too (all of it, were the checksum one pass).
      longestGapMs = Math.max(longestGapMs, performance.now() - last);
      clearInterval(ticker);
    });
    const tookMs = performance.now() - started;
    const whole = onePass(fixture, 'big');
    assert.ok(tookMs > 8 * CHECKSUM_STEP_MS, `the checksum took ${tookMs.toFixed(0)} ms: too short to show the loop is let go`);
    // A row is hashed whole (a few ms), then the step ends at CHECKSUM_STEP_MS; in one
    // pass the loop would stand the whole time. Half of it leaves room for a busy machine.
    assert.ok(longestGapMs < tookMs / 2, `the event loop stood ${longestGapMs.toFixed(0)} ms during a ${tookMs.toFixed(0)} ms checksum`);
    assert.deepEqual({ rows: stepped.rows, checksum: stepped.checksum }, whole);
    assert.equal(stepped.position, 64, 'the position of the last of the 64 inserts');
  });

  // A step of 0 ms ends after every row: each row after the first is read by `rowid > ?`.
  it('pages exactly, a row a step, through rowids from -(2^53 - 1) to 2^53 - 1 (the range of a bigint key)', async () => {
    const fixture = openEngine();
    fixture.engine.execute('create table edges (id bigint primary key, v text);');
    const ids = [-9_007_199_254_740_991n, -1n, 0n, 1n, 9_007_199_254_740_990n, 9_007_199_254_740_991n];
    for (const id of ids) fixture.engine.execute('insert into edges values (?, ?);', [id, `row ${id}`]);
    const stepped = await fixture.engine.tableChecksum('edges', 0);
    assert.equal(stepped.rows, ids.length);
    // Through the stepped path's own reading (integers as bigints): the same sum as numbers give.
    const sum = new RowChecksum();
    for (const id of ids) sum.add([id, `row ${id}`]);
    assert.equal(stepped.checksum, sum.digest());
  });

  it('pages by a name of the rowid left free when columns are named rowid and oid (with NULLs and repeats in them)', async () => {
    const fixture = openEngine();
    fixture.engine.execute('create table shadowed (id int primary key, rowid int, oid text);');
    for (let id = 0; id < 12; id++)
      fixture.engine.execute('insert into shadowed values (?, ?, ?);', [BigInt(id), id % 3 === 0 ? null : 7n, id % 2 ? 'x' : null]);
    const stepped = await fixture.engine.tableChecksum('shadowed', 0);
    assert.deepEqual({ rows: stepped.rows, checksum: stepped.checksum }, onePass(fixture, 'shadowed'));
  });

  it('refuses, naming the table, when the table is written while the checksum runs; a standalone checksum (one pass) is not cut', async () => {
    const fixture = openEngine();
    const { checksum } = await checksumBetweenSteps(fixture, 'moving');
    fixture.engine.execute("insert into moving values (1000, 'late');");
    await assert.rejects(checksum, /table `moving` was written during its checksum \(log position 4 to 5\): verify again/);
    // One pass reads every row before it lets the loop go: a write after it is not in it.
    const rowsThen = onePass(fixture, 'moving');
    const whole = fixture.engine.tableChecksum('moving', undefined);
    fixture.engine.execute("insert into moving values (1001, 'later');");
    assert.deepEqual(await whole, { table: 'moving', position: 5, ...rowsThen });
  });

  it('refuses with TABLE_NOT_FOUND, naming the table, when the table is dropped between two steps, and the region goes on', async () => {
    const fixture = openEngine();
    const { checksum } = await checksumBetweenSteps(fixture, 'going');
    fixture.engine.execute('drop table going;');
    await assert.rejects(checksum, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'TABLE_NOT_FOUND');
      assert.match(error.message ?? '', /going/);
      return true;
    });
    // The engine still serves: a table of the same name is created and summed whole.
    fixture.engine.execute('create table going (id int primary key, v text);');
    fixture.engine.execute("insert into going values (1, 'back');");
    assert.equal((await fixture.engine.tableChecksum('going', 0)).rows, 1);
  });
});
