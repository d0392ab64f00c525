import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WalSync, type WalFiles } from '../src/wal-sync.js';

/** Files whose fsyncs finish only when the test says so. */
function manualFiles() {
  const pending: Array<(error: Error | null) => void> = [];
  let opened = 0;
  const files: WalFiles = {
    open: () => ++opened,
    fsync: (_fd, done) => pending.push(done),
    fsyncSync: () => undefined,
    close: () => undefined,
  };
  return { files, pending, opened: () => opened };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("syncing a table file's write-ahead log off the event loop", () => {
  it('a sync asked for while one runs waits for the next fsync, which starts when the running one ends', async () => {
    const { files, pending } = manualFiles();
    const wal = new WalSync('t.sqlite-wal', files);
    const done: string[] = [];
    const first = wal.sync().then(() => done.push('first'));
    const second = wal.sync().then(() => done.push('second'));
    assert.equal(pending.length, 1);
    pending[0]!(null);
    await turn();
    assert.deepEqual(done, ['first'], 'a commit made while an earlier fsync ran was reported durable by it');
    assert.equal(pending.length, 2, 'the next fsync did not start');
    pending[1]!(null);
    await Promise.all([first, second]);
    assert.deepEqual(done, ['first', 'second']);
  });

  it('a burst of syncs costs two fsyncs, not one each', async () => {
    const { files, pending } = manualFiles();
    const wal = new WalSync('t.sqlite-wal', files);
    const all = Array.from({ length: 50 }, () => wal.sync());
    pending[0]!(null);
    await turn();
    pending[1]!(null);
    await Promise.all(all);
    assert.equal(pending.length, 2);
  });

  it('a failed fsync fails the syncs waiting on it, and the next sync tries again', async () => {
    const { files, pending } = manualFiles();
    const wal = new WalSync('t.sqlite-wal', files);
    const failing = wal.sync();
    pending[0]!(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await assert.rejects(failing, /EIO/);
    const next = wal.sync();
    assert.equal(pending.length, 2);
    pending[1]!(null);
    await next;
  });

  it('syncs a real file, and refuses with the reason when the log file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    try {
      writeFileSync(join(dir, 't.sqlite-wal'), 'frames');
      const wal = new WalSync(join(dir, 't.sqlite-wal'));
      await wal.sync();
      wal.syncNow();
      wal.close();
      await assert.rejects(new WalSync(join(dir, 'missing-wal')).sync(), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
