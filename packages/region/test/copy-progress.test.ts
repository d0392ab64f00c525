import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CopyProgress } from '../src/copy-progress.js';

describe("a replica's copy progress", () => {
  it('counts the bytes of tables done and of the table under way, and the rate so far', () => {
    let now = 1_000;
    const progress = new CopyProgress(() => now);
    const underWay = () => progress.underWay;
    assert.equal(underWay(), undefined);
    progress.started(300);
    progress.fetching('a', 50);
    now += 1_000;
    assert.deepEqual(underWay(), { table: 'a', bytes: 50, expectedBytes: 300, rateBytesPerSecond: 50 });
    progress.tableDone(100);
    progress.fetching('b', 100);
    assert.equal(underWay()?.bytes, 200);
    progress.tableDone(200);
    now += 1_000;
    progress.finished(true);
    progress.finished(false); // the finally after a success: nothing more
    assert.equal(progress.underWay, undefined);
    assert.deepEqual([progress.copiesTotal, progress.copiedBytesTotal, progress.lastRateBytesPerSecond], [1, 300, 150]);
  });

  it('does not count a copy that failed (it starts over)', () => {
    const progress = new CopyProgress();
    progress.started(100);
    progress.tableDone(40);
    progress.finished(false);
    assert.deepEqual([progress.copiesTotal, progress.copiedBytesTotal, progress.underWay], [0, 0, undefined]);
  });
});
