/**
 * The snapshot FTP server and fetcher, with a real ftp-srv and a real basic-ftp client on
 * loopback over explicit FTPS with real certificates: only a one-time login, only after
 * AUTH TLS (a login sent in clear is refused and voided), only its own copy's files, a
 * data channel only for a certificate of the cluster, read-only, nothing outside its
 * folder, and a corrupted download detected by its SHA-256 and fetched again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'basic-ftp';
import { freePort, loadTlsIdentity, Logger, makeCertificates, type TlsIdentity } from '@minisql/common';
import { FtpLogins, type FtpLogin } from '../src/ftp-logins.js';
import { SnapshotFtpServer } from '../src/snapshot-ftp-server.js';
import { fetchSnapshot, DOWNLOAD_ATTEMPTS_MAX } from '../src/snapshot-fetcher.js';

const work = mkdtempSync(join(tmpdir(), 'minisql-ftp-'));
const root = join(work, 'snapshots');
const certs = join(work, 'certs');
const otherCerts = join(work, 'other-cluster-certs');
const logins = new FtpLogins();
const COPY_FILES = ['table-1.sqlite', 'escape.txt', 'flaky.sqlite', 'bad.sqlite'];
let LOGIN: FtpLogin;
let primary: TlsIdentity;
let replica: TlsIdentity;
let stranger: TlsIdentity;
let server: SnapshotFtpServer;
let port = 0;

const quiet = new Logger('test', 'ftp', 'error', { write: () => undefined });
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function connect(user = LOGIN.user, password = LOGIN.password, identity: TlsIdentity | null = replica, timeoutMs = 5_000): Promise<Client> {
  const client = new Client(timeoutMs);
  try {
    await client.access({
      host: '127.0.0.1',
      port,
      user,
      password,
      ...(identity ? { secure: true, secureOptions: { ca: identity.ca, cert: identity.cert, key: identity.key } } : {}),
    });
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

before(async () => {
  makeCertificates(certs, [
    { name: 'region1', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] },
    { name: 'region2', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] },
  ]);
  makeCertificates(otherCerts, [{ name: 'region2', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] }]);
  primary = loadTlsIdentity(certs, 'region1');
  replica = loadTlsIdentity(certs, 'region2');
  stranger = { ...loadTlsIdentity(otherCerts, 'region2'), ca: replica.ca };
  LOGIN = logins.issue('region2', COPY_FILES);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'table-1.sqlite'), 'snapshot bytes');
  writeFileSync(join(root, 'other-copy.sqlite'), 'made for another replica');
  writeFileSync(join(work, 'secret.txt'), 'outside the folder');
  symlinkSync(join(work, 'secret.txt'), join(root, 'escape.txt'));
  port = await freePort();
  const passive = await freePort();
  server = new SnapshotFtpServer(
    { listenAddress: `127.0.0.1:${port}`, passiveHost: '127.0.0.1', passivePortMin: passive, passivePortMax: passive + 20, root, logins, tls: primary },
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

  it('refuses a login sent in clear, and the password it carried no longer opens anything', async () => {
    const exposed = logins.issue('region3', COPY_FILES);
    await assert.rejects(connect(exposed.user, exposed.password, null), /530 log in after AUTH TLS/);
    await assert.rejects(connect(exposed.user, exposed.password), /530 wrong user or password/);
  });

  it('serves a snapshot over TLS to the one-time login of its copy', async () => {
    const client = await connect();
    try {
      const target = join(work, 'copy.sqlite');
      await client.downloadTo(target, 'table-1.sqlite');
      assert.equal(readFileSync(target, 'utf8'), 'snapshot bytes');
    } finally {
      client.close();
    }
  });

  it("a login reads its own copy's files only: another copy's file is neither listed nor served", async () => {
    const client = await connect();
    try {
      const names = (await client.list()).map((entry) => entry.name);
      assert.ok(names.includes('table-1.sqlite') && !names.includes('other-copy.sqlite'), `listed: ${names.join(', ')}`);
      await assert.rejects(client.downloadTo(join(work, 'x0'), 'other-copy.sqlite'));
    } finally {
      client.close();
    }
  });

  it('opens no data channel to a certificate of another cluster', async () => {
    // The refused handshake of the data channel shows as a silent channel: a short timeout.
    // (ftp-srv keeps a 30 s idle timer for that passive port, so this file ends 30 s later.)
    const client = await connect(LOGIN.user, LOGIN.password, stranger, 1_000);
    try {
      await assert.rejects(client.downloadTo(join(work, 'x-stranger'), 'table-1.sqlite'));
    } finally {
      client.close();
    }
    const arrived = (() => {
      try {
        return readFileSync(join(work, 'x-stranger'), 'utf8');
      } catch {
        return '';
      }
    })();
    assert.equal(arrived, '', 'no byte of the snapshot reached the stranger');
  });

  it('a login ends when its replica asks again, and after its lifetime', () => {
    const shortLived = new FtpLogins(1_000);
    const first = shortLived.issue('r', ['a'], 0);
    assert.ok(shortLived.check(first.user, first.password, 999));
    assert.equal(shortLived.check(first.user, first.password, 1_000), undefined, 'expired');
    const second = shortLived.issue('r', ['a'], 2_000);
    const third = shortLived.issue('r', ['a'], 2_000);
    assert.equal(shortLived.check(second.user, second.password, 2_001), undefined, 'replaced');
    assert.ok(shortLived.check(third.user, third.password, 2_001));
    assert.notEqual(second.password, third.password);
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
    await fetchSnapshot(
      `127.0.0.1:${port}`,
      LOGIN,
      replica,
      { table: 'flaky', file: 'flaky.sqlite', position: 1, sha256: sha('the real snapshot'), bytes: 17 },
      destination,
      logger,
    );
    assert.equal(corruptionsSeen, 1);
    assert.equal(readFileSync(destination, 'utf8'), 'the real snapshot');
  });

  it(`gives up after ${DOWNLOAD_ATTEMPTS_MAX} corrupted attempts, naming the table, and leaves no file`, async () => {
    writeFileSync(join(root, 'bad.sqlite'), 'always wrong');
    const destination = join(work, 'bad-copy.sqlite');
    await assert.rejects(
      fetchSnapshot(
        `127.0.0.1:${port}`,
        LOGIN,
        replica,
        { table: 'bad', file: 'bad.sqlite', position: 1, sha256: sha('expected'), bytes: 8 },
        destination,
        quiet,
      ),
      /snapshot of table `bad` could not be fetched intact in 3 attempts: SHA-256/,
    );
    assert.throws(() => readFileSync(destination));
  });
});
