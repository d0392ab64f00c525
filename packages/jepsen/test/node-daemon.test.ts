/**
 * The daemon commands run for real through a LocalRemote (`sh -c` on this machine):
 * real processes started, refused a second start, killed and waited for, with each of
 * those steps written into the process's own log.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { daemonCommands, type DaemonCommands } from '../src/control/node-daemon.js';
import { LocalRemote } from '../src/control/local-remote.js';

const remote = new LocalRemote({ node: 'local' });
let dir = '';
/** Every daemon a test made, stopped in `after` whatever happened. */
const made: DaemonCommands[] = [];

function daemon(name: string, command: readonly string[]): DaemonCommands {
  const commands = daemonCommands({ dir, name, command });
  made.push(commands);
  return commands;
}

async function running(commands: DaemonCommands): Promise<boolean> {
  return (await remote.exec(commands.isRunning, { check: false })).exitCode === 0;
}

async function pidOf(name: string): Promise<number> {
  return Number((await readFile(join(dir, `${name}.pid`), 'utf8')).trim());
}

describe('node daemon commands', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minisql-daemon-'));
  });
  after(async () => {
    for (const commands of made) await remote.exec(commands.stop, { check: false });
    await rm(dir, { recursive: true, force: true });
  });

  test('the pid file names the started process itself, and a kill leaves it gone and logged', async () => {
    const sleeper = daemon('sleeper', ['sleep', '60']);
    await remote.exec(sleeper.start);
    const pid = await pidOf('sleeper');
    assert.match(await readFile(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\0/);
    assert.equal(await running(sleeper), true);
    await remote.exec(sleeper.kill);
    assert.equal(await running(sleeper), false);
    const log = await readFile(sleeper.logPath, 'utf8');
    assert.match(log, new RegExp(`daemon: started sleeper as ${pid}\\n`));
    assert.match(log, new RegExp(`daemon: killed sleeper ${pid}\\n`));
  });

  test('a second start of a running daemon starts nothing and says so in its log and output', async () => {
    const sleeper = daemon('twice', ['sleep', '60']);
    await remote.exec(sleeper.start);
    const pid = await pidOf('twice');
    const again = await remote.exec(sleeper.start);
    assert.match(again.stdout, new RegExp(`twice is already running as ${pid}`));
    assert.equal(await pidOf('twice'), pid);
    assert.match(await readFile(sleeper.logPath, 'utf8'), new RegExp(`daemon: twice is already running as ${pid}\\n`));
    await remote.exec(sleeper.stop);
    assert.equal(await running(sleeper), false);
  });

  test('a process whose first thread has exited is running while another thread lives', async () => {
    // The first thread ends with pthread_exit and shows as a zombie; a second thread sleeps
    // on. The process still holds its files and ports: a start now would race it for them.
    const script = join(dir, 'leader-exits.py');
    await writeFile(
      script,
      'import ctypes, threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\nprint("threads", flush=True)\nctypes.CDLL(None).pthread_exit(None)\n',
    );
    const leaderExits = daemon('leader-exits', ['python3', script]);
    await remote.exec(leaderExits.start);
    const pid = await pidOf('leader-exits');
    // Bounded wait for the first thread to exit (its state turns Z).
    const deadline = Date.now() + 10_000;
    const leaderState = async () => (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^\d+ \([^)]*\) /, '')[0];
    while ((await leaderState()) !== 'Z') {
      assert.ok(Date.now() < deadline, `the first thread of ${pid} did not exit within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await running(leaderExits), true, 'a zombie first thread with a live second thread is running');
    await remote.exec(leaderExits.kill);
    assert.equal(await running(leaderExits), false);
  });
});
