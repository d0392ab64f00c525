/**
 * Ports for the servers a test or a benchmark starts on loopback. Asking the kernel for
 * port 0 and closing the socket again ("bind, read, close") races twice: the port lies in
 * the ephemeral range, so any outgoing connection of the machine may take it as its local
 * port before the server binds it (EADDRINUSE), and two test files running at once may
 * be handed the same one. So a port here is:
 * - below the ephemeral range (Linux's default starts at 32768; read from /proc when
 *   present), where the kernel never picks local ports for outgoing connections;
 * - reserved across processes by an exclusive lock file named after it, holding the
 *   owner's pid (a file whose owner has died is taken over), and released when the
 *   process exits;
 * - checked bindable before it is handed out.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Lowest port handed out: above the well-known and common service ports. */
const PORT_MIN = 20_000;
/** Attempts before giving up; each tries one random port. */
const ATTEMPTS_MAX = 500;
const LOCK_DIR = join(tmpdir(), 'minisql-test-ports');

const held = new Set<string>();
let releaseInstalled = false;

/** One past the highest port below the kernel's ephemeral range. */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const start = Number(low);
    if (Number.isInteger(start) && start > PORT_MIN + 1_000) return start;
  } catch {
    // Not Linux: the IANA ephemeral range starts at 49152.
  }
  return 49_152;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file of `port`, or returns false when a live process holds it. */
function lock(port: number): boolean {
  const path = join(LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        // Removed meanwhile: try again.
      }
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A loopback port no other test process uses and no outgoing connection will take. */
export async function freePort(): Promise<number> {
  mkdirSync(LOCK_DIR, { recursive: true });
  if (!releaseInstalled) {
    releaseInstalled = true;
    process.once('exit', () => {
      for (const path of held) rmSync(path, { force: true });
    });
  }
  const end = ephemeralStart();
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt += 1) {
    const port = PORT_MIN + Math.floor(Math.random() * (end - PORT_MIN));
    if (!lock(port)) continue;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${PORT_MIN} and ${end} after ${ATTEMPTS_MAX} attempts`);
}
