/**
 * SshRemote against a real OpenSSH server: the test starts its own sshd on a free
 * loopback port, with a fresh host key and a fresh client key authorized in a temporary
 * directory, and removes all of it afterwards, also when a test fails.
 *
 * Needs root (the server logs in as root) and /usr/sbin/sshd with ssh-keygen
 * (Debian's openssh-server; scripts/install-jepsen-deps.sh installs it). Without them
 * the tests fail with the reason rather than skip.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@minisql/common';
import { RemoteError } from '../src/control/remote.js';
import { SshRemote } from '../src/control/ssh-remote.js';

const SSHD = '/usr/sbin/sshd';
/** Privilege separation directory sshd insists on. */
const SSHD_RUN_DIR = '/run/sshd';
const SSHD_START_TIMEOUT_MS = 10_000;

let dir = '';
let port = 0;
let sshd: ChildProcess | undefined;
let sshdLog = '';
let madeRunDir = false;
const remotes: SshRemote[] = [];

function remote(options: Partial<ConstructorParameters<typeof SshRemote>[0]> = {}): SshRemote {
  const made = new SshRemote({
    node: 'n1',
    hostname: '127.0.0.1',
    port,
    username: 'root',
    privateKeyPath: join(dir, 'client_key'),
    connectTimeoutMs: 5_000,
    ...options,
  });
  remotes.push(made);
  return made;
}

async function waitForPort(target: number, deadlineMs: number): Promise<void> {
  for (let attempt = 0; Date.now() < deadlineMs && attempt < 200; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(target, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (sshd?.exitCode !== null) throw new Error(`sshd exited with ${sshd?.exitCode}: ${sshdLog}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${target} within ${SSHD_START_TIMEOUT_MS} ms: ${sshdLog}`);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'ssh-remote tests start sshd and log in as root: run them as root');
  assert.ok(existsSync(SSHD), `${SSHD} is missing: install openssh-server (scripts/install-jepsen-deps.sh)`);
  dir = await mkdtemp(join(tmpdir(), 'minisql-jepsen-sshd-'));
  for (const key of ['host_key', 'client_key', 'wrong_key']) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `minisql-jepsen-test-${key}`, '-f', join(dir, key)]);
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
  if (!existsSync(SSHD_RUN_DIR)) {
    await mkdir(SSHD_RUN_DIR, { mode: 0o755 });
    madeRunDir = true;
  }
  port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // Password logins are allowed so the password path is exercised; root has no usable
    // password here, so every password is refused.
    'PermitRootLogin yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    'MaxSessions 10',
    'LogLevel VERBOSE',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr?.on('data', (chunk: Buffer) => {
    sshdLog = `${sshdLog}${chunk.toString()}`.slice(-4_000);
  });
  await waitForPort(port, Date.now() + SSHD_START_TIMEOUT_MS);
});

after(async () => {
  await Promise.allSettled(remotes.map((made) => made.close()));
  if (sshd?.pid !== undefined && sshd.exitCode === null) {
    const exited = new Promise((resolve) => sshd?.once('exit', resolve));
    try {
      // The listener and every session it forked share its process group.
      process.kill(-sshd.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  if (madeRunDir) await rmdir(SSHD_RUN_DIR).catch(() => {});
});

describe('SshRemote against OpenSSH', () => {
  test('exec returns stdout, stderr and the exit code, and runs the command with sh -c', async () => {
    const node = remote();
    const result = await node.exec(`echo out; echo err >&2; printf '%s' "it's $((1 + 2))" >&2; exit 3`, { check: false });
    assert.deepEqual(result, { stdout: 'out\n', stderr: "err\nit's 3", exitCode: 3 });
    const shell = await node.exec('readlink /proc/$$/exe');
    assert.match(shell.stdout, /\/(dash|sh|bash)\n$/);
  });

  test('a failing command is a REMOTE_FAILED error naming the node, the command and its stderr', async () => {
    await assert.rejects(remote().exec('echo broken >&2; exit 7'), (error: RemoteError) => {
      assert.equal(error.code, 'REMOTE_FAILED');
      assert.equal(error.node, 'n1');
      assert.equal(error.result?.exitCode, 7);
      assert.match(error.message, /on n1: `echo broken >&2; exit 7` exited with 7: broken/);
      return true;
    });
  });

  test('stdin reaches the command, and a command reading stdin sees its end', async () => {
    const node = remote();
    assert.equal((await node.exec('cat', { stdin: 'line one\nline two\n' })).stdout, 'line one\nline two\n');
    assert.equal((await node.exec('wc -c')).stdout.trim(), '0');
  });

  test('one connection serves many commands at once, more than the server allows sessions', async () => {
    const countConnections = `ss -tn state established '( sport = :${port} )' | tail -n +2 | wc -l`;
    const observer = remote();
    const before = Number((await observer.exec(countConnections)).stdout.trim());
    const node = remote();
    const results = await Promise.all(Array.from({ length: 25 }, (_, index) => node.exec(`echo ${index}`)));
    assert.deepEqual(
      results.map((result) => result.stdout.trim()),
      Array.from({ length: 25 }, (_, index) => String(index)),
    );
    const afterwards = Number((await observer.exec(countConnections)).stdout.trim());
    assert.equal(afterwards - before, 1, 'all 25 commands shared one new connection');
  });

  test('upload and download round-trip a file byte for byte, checked by SHA-256 on both sides', async () => {
    const node = remote();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const local = join(dir, 'payload.bin');
    const remotePath = join(dir, 'remote payload.bin');
    const back = join(dir, 'payload.back');
    await writeFile(local, data, { mode: 0o640 });
    await node.upload(local, remotePath);
    assert.equal((await node.exec(`sha256sum '${remotePath}'`)).stdout.split(' ')[0], sha256(data));
    assert.equal((await node.exec(`stat -c %a '${remotePath}'`)).stdout.trim(), '640', 'mode kept');
    await node.download(remotePath, back);
    assert.equal(sha256(await readFile(back)), sha256(data));
    await assert.rejects(node.download(join(dir, 'missing'), back), (error: RemoteError) => error.code === 'REMOTE_FAILED');
  });

  test('a command past its timeout is REMOTE_TIMEOUT, is killed, and the connection keeps working', async () => {
    const node = remote();
    const marker = `minisql-jepsen-timeout-${process.pid}`;
    // A pattern that matches the sleeping command but not the shell running pgrep.
    const pattern = `minisql-jepsen-[t]imeout-${process.pid}`;
    // Connected first: the 300 ms are the command's alone. (Counted from a cold start they
    // include the SSH handshake, which a loaded machine can take longer than that to finish.)
    assert.equal((await node.exec('echo connected')).stdout, 'connected\n');
    const started = Date.now();
    await assert.rejects(node.exec(`sleep 30; echo ${marker}`, { timeoutMs: 300 }), (error: RemoteError) => {
      assert.equal(error.code, 'REMOTE_TIMEOUT');
      assert.match(error.message, /did not finish within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, `timed out after ${Date.now() - started} ms`);
    assert.equal((await node.exec('echo still here')).stdout, 'still here\n');
    let left = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      left = (await node.exec(`pgrep -f '${pattern}' || true`)).stdout.trim();
      if (left === '') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(left, '', 'the timed-out command was killed on the server');
  });

  test('a deadline that passes while the connection is still being made is REMOTE_TIMEOUT, not REMOTE_UNREACHABLE', async () => {
    // A listener that accepts and never speaks SSH: the handshake cannot finish.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentPort = (silent.address() as { port: number }).port;
      await assert.rejects(remote({ port: silentPort }).exec('true', { timeoutMs: 300 }), (error: RemoteError) => {
        assert.equal(error.code, 'REMOTE_TIMEOUT', error.message);
        assert.match(error.message, /did not finish within 300 ms \(still connecting: /);
        return true;
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('a lost connection fails the command in flight as REMOTE_UNREACHABLE, and the next command reconnects', async () => {
    const node = remote();
    assert.equal((await node.exec('echo first')).stdout, 'first\n');
    // Kill the server process that carries this session, as a crash or a cable pull would.
    const killSession = [
      'p=$$',
      'i=0',
      'while [ "$i" -lt 10 ]; do p=$(awk \'{print $4}\' /proc/$p/stat); case "$(cat /proc/$p/comm)" in sshd*) break;; esac; i=$((i + 1)); done',
      'kill -9 "$p"; sleep 5',
    ].join('\n');
    await assert.rejects(node.exec(killSession, { timeoutMs: 10_000 }), (error: RemoteError) => {
      assert.equal(error.code, 'REMOTE_UNREACHABLE', error.message);
      assert.match(error.message, /connection lost/);
      return true;
    });
    assert.equal((await node.exec('echo again')).stdout, 'again\n');
  });

  test('a key the server does not know is refused at once as REMOTE_UNREACHABLE, without retrying', async () => {
    const started = Date.now();
    await assert.rejects(remote({ privateKeyPath: join(dir, 'wrong_key') }).exec('true'), (error: RemoteError) => {
      assert.equal(error.code, 'REMOTE_UNREACHABLE');
      assert.match(error.message, /authentication as root refused/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000, 'no retries for wrong credentials');
  });

  test('a wrong password is refused as REMOTE_UNREACHABLE', async () => {
    await assert.rejects(
      remote({ privateKeyPath: undefined, password: 'not-the-password' }).exec('true'),
      (error: RemoteError) => error.code === 'REMOTE_UNREACHABLE' && /authentication as root refused/.test(error.message),
    );
  });

  test('a port nobody listens on is REMOTE_UNREACHABLE within the bounded retries', async () => {
    const closedPort = await freePort();
    const started = Date.now();
    await assert.rejects(remote({ port: closedPort }).exec('true'), (error: RemoteError) => {
      assert.equal(error.code, 'REMOTE_UNREACHABLE');
      assert.match(error.message, new RegExp(`cannot connect to root@127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`));
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
  });

  test('the remote needs credentials: neither password nor key is refused at construction', () => {
    assert.throws(() => new SshRemote({ node: 'n1', hostname: 'h' }), /needs a password or a privateKeyPath/);
  });
});
