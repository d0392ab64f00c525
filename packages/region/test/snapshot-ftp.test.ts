/**
 * The snapshot FTP server and fetcher, with a real ftp-srv and a real basic-ftp client on
 * loopback: only the configured login, read-only, nothing outside its folder, and a
 * corrupted download detected by its SHA-256 and fetched again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'basic-ftp';
import { freePort, Logger } from '@minisql/common';
import { SnapshotFtpServer } from '../src/snapshot-ftp-server.js';
import { fetchSnapshot, DOWNLOAD_ATTEMPTS_MAX } from '../src/snapshot-fetcher.js';

const LOGIN = { user: 'minisql', password: 'test-password-1' };
const work = mkdtempSync(join(tmpdir(), 'minisql-ftp-'));
const root = join(work, 'snapshots');
let server: SnapshotFtpServer;
let port = 0;

const quiet = new Logger('test', 'ftp', 'error', { write: () => undefined });
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function connect(user = LOGIN.user, password = LOGIN.password): Promise<Client> {
  const client = new Client(5_000);
  await client.access({ host: '127.0.0.1', port, user, password });
  return client;
}

before(async () => {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'table-1.sqlite'), 'snapshot bytes');
  writeFileSync(join(work, 'secret.txt'), 'outside the folder');
  symlinkSync(join(work, 'secret.txt'), join(root, 'escape.txt'));
  port = await freePort();
  const passive = await freePort();
  server = new SnapshotFtpServer(
    { listenAddress: `127.0.0.1:${port}`, passiveHost: '127.0.0.1', passivePortMin: passive, passivePortMax: passive + 20, root, ...LOGIN },
    quiet,
  );
  await server.start();
});
after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the snapshot FTP server', () => {
  it('refuses a wrong password and anonymous login', async () => {
    await assert.rejects(connect(LOGIN.user, 'wrong-password'), /530/);
    await assert.rejects(connect('anonymous', 'guest@example.com'), /530/);
  });

  it('serves a snapshot to the configured login', async () => {
    const client = await connect();
    try {
      const target = join(work, 'copy.sqlite');
      await client.downloadTo(target, 'table-1.sqlite');
      assert.equal(readFileSync(target, 'utf8'), 'snapshot bytes');
    } finally {
      client.close();
    }
  });

  it('reaches nothing outside its folder: not through .., an absolute path or a link', async () => {
    const client = await connect();
    try {
      await client.cd('..');
      assert.equal(await client.pwd(), '/');
      await assert.rejects(client.downloadTo(join(work, 'x1'), '../secret.txt'));
      await assert.rejects(client.downloadTo(join(work, 'x2'), '/etc/passwd'));
      await assert.rejects(client.downloadTo(join(work, 'x3'), 'escape.txt'));
    } finally {
      client.close();
    }
  });

  it('is read-only: uploads, deletes, renames and new folders are refused', async () => {
    const client = await connect();
    try {
      writeFileSync(join(work, 'upload.txt'), 'x');
      await assert.rejects(client.uploadFrom(join(work, 'upload.txt'), 'upload.txt'));
      await assert.rejects(client.remove('table-1.sqlite'));
      await assert.rejects(client.rename('table-1.sqlite', 'renamed.sqlite'));
      await assert.rejects(client.send('MKD newdir'));
      assert.equal(readFileSync(join(root, 'table-1.sqlite'), 'utf8'), 'snapshot bytes');
    } finally {
      client.close();
    }
  });
});

describe('fetchSnapshot', () => {
  it('detects a corrupted download by its SHA-256 and fetches it again', async () => {
    writeFileSync(join(root, 'flaky.sqlite'), 'corrupted on the way');
    let corruptionsSeen = 0;
    // When the fetcher reports the bad copy, the server's file is made right: the retry gets it.
    const logger = new Logger('test', 'fetch', 'warn', {
      write: (line: string) => {
        if (line.includes('corrupt')) {
          corruptionsSeen += 1;
          writeFileSync(join(root, 'flaky.sqlite'), 'the real snapshot');
        }
      },
    });
    const destination = join(work, 'flaky-copy.sqlite');
    await fetchSnapshot(`127.0.0.1:${port}`, LOGIN, { table: 'flaky', file: 'flaky.sqlite', position: 1, sha256: sha('the real snapshot'), bytes: 17 }, destination, logger);
    assert.equal(corruptionsSeen, 1);
    assert.equal(readFileSync(destination, 'utf8'), 'the real snapshot');
  });

  it(`gives up after ${DOWNLOAD_ATTEMPTS_MAX} corrupted attempts, naming the table, and leaves no file`, async () => {
    writeFileSync(join(root, 'bad.sqlite'), 'always wrong');
    const destination = join(work, 'bad-copy.sqlite');
    await assert.rejects(
      fetchSnapshot(`127.0.0.1:${port}`, LOGIN, { table: 'bad', file: 'bad.sqlite', position: 1, sha256: sha('expected'), bytes: 8 }, destination, quiet),
      /snapshot of table `bad` could not be fetched intact in 3 attempts: SHA-256/,
    );
    assert.throws(() => readFileSync(destination));
  });
});
