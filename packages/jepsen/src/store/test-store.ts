/**
 * Where a test's results live, Jepsen's store layout:
 *
 *   store/<test-name>/<YYYYMMDDTHHMMSS.mmm>/   one run: STORE_FILES and <node>/ log folders
 *   store/<test-name>/latest -> <time>         the test's newest run
 *   store/latest -> <test-name>/<time>         the newest run of any test
 *
 * The run's folder is named by its start in UTC, without colons, so the name is valid on
 * every filesystem and sorts in time order. The links are relative, so a store can be
 * moved or copied, and replaced atomically (a new link under a temporary name, then a
 * rename over the old one), so a reader never sees a missing `latest`.
 *
 * The store writes text it is given; what goes into the files (EDN, JSON lines, HTML,
 * SVG) is decided elsewhere. Nothing is written outside the store root: names that would
 * leave the run's folder are refused.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { JepsenError, type JepsenErrorCode } from '../jepsen-errors.js';

/** The files of one run. */
export const STORE_FILES = {
  historyEdn: 'history.edn',
  historyJsonl: 'history.jsonl',
  results: 'results.edn',
  log: 'jepsen.log',
  timeline: 'timeline.html',
  latencyPlot: 'latency.svg',
  ratePlot: 'rate.svg',
} as const;

export const LATEST_LINK = 'latest';

/** Two runs of a test started in the same millisecond get the next free millisecond. */
const RUN_DIR_ATTEMPTS_MAX = 1000;

export type StoreErrorCode = Extract<JepsenErrorCode, `STORE_${string}`>;

/** A store operation refused or failed, named by the path it concerns. */
export class StoreError extends JepsenError<StoreErrorCode> {
  constructor(
    code: StoreErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${path}: ${message}`, options);
    this.name = 'StoreError';
  }
}

/** A run's folder name: its start in UTC as YYYYMMDDTHHMMSS.mmm. */
export function storeTimestamp(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

/**
 * Refuses a name that is not one plain path segment valid on every common filesystem:
 * separators, `.` and `..`, control characters, the characters Windows forbids, and
 * `latest`, which is the store's own link.
 */
function checkSegment(name: string, what: string): void {
  const bad = name.length === 0 || name.length > 200 || name === '.' || name === '..' || name === LATEST_LINK || /[\u0000-\u001f<>:"/\\|?*]/.test(name) || /[. ]$/.test(name);
  if (bad) throw new StoreError('STORE_BAD_NAME', name, `not usable as a ${what} folder name (one path segment, no / \\ : * ? " < > |, not "latest")`);
}

export class TestStore {
  /** jepsen.log, opened on the first call to logStream and closed by close(). */
  private log: WriteStream | undefined;

  private constructor(
    /** The store root, absolute. */
    readonly root: string,
    readonly testName: string,
    /** The run's folder name, storeTimestamp of its start (possibly a millisecond later). */
    readonly runName: string,
    /** The run's folder, absolute. */
    readonly dir: string,
  ) {}

  /** Makes the run's folder store/<testName>/<time of now>/. */
  static async create(storeRoot: string, testName: string, now: Date): Promise<TestStore> {
    checkSegment(testName, 'test');
    const root = resolve(storeRoot);
    const testDir = join(root, testName);
    await mkdir(testDir, { recursive: true });
    for (let attempt = 0; attempt < RUN_DIR_ATTEMPTS_MAX; attempt += 1) {
      const runName = storeTimestamp(new Date(now.getTime() + attempt));
      const dir = join(testDir, runName);
      try {
        await mkdir(dir);
        return new TestStore(root, testName, runName, dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new StoreError('STORE_RUN_EXISTS', testDir, `${RUN_DIR_ATTEMPTS_MAX} runs already exist from ${storeTimestamp(now)} on`);
  }

  /** The absolute path of a file of this run, e.g. path('history.edn') or path('n1/db.log'); path('') is the run's folder. */
  path(file: string): string {
    const full = resolve(this.dir, file);
    const inside = relative(this.dir, full);
    if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw new StoreError('STORE_BAD_NAME', file, `not a file inside the run folder ${this.dir}`);
    }
    return full;
  }

  /**
   * Writes a whole file of this run (folders made as needed), atomically: a reader sees
   * the old file or the new one, never half of it. Returns its path.
   */
  async writeText(name: string, text: string): Promise<string> {
    const target = this.path(name);
    if (target === this.dir) throw new StoreError('STORE_BAD_NAME', name, 'names the run folder, not a file in it');
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return target;
  }

  /** The run's jepsen.log, appended to; the same stream on every call. */
  logStream(): WriteStream {
    this.log ??= createWriteStream(this.path(STORE_FILES.log), { flags: 'a', encoding: 'utf8' });
    return this.log;
  }

  /** Makes and returns the folder for a node's files (its database logs): <run>/<node>/. */
  async nodeDir(node: string): Promise<string> {
    checkSegment(node, 'node');
    const dir = this.path(node);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Points store/latest and store/<test>/latest at this run. */
  async linkLatest(): Promise<void> {
    await replaceLink(join(this.root, this.testName, LATEST_LINK), this.runName);
    await replaceLink(join(this.root, LATEST_LINK), join(this.testName, this.runName));
  }

  /** Flushes and closes jepsen.log if it was opened. */
  async close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log === undefined || log.closed) return;
    await new Promise<void>((resolveClose, rejectClose) => {
      log.once('error', rejectClose);
      log.end(() => resolveClose());
    });
  }
}

/** Makes `link` a symbolic link to `target` (relative to the link's folder), replacing any old link atomically. */
async function replaceLink(link: string, target: string): Promise<void> {
  const temporary = `${link}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await symlink(target, temporary);
    await rename(temporary, link);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new StoreError('STORE_LINK_FAILED', link, `cannot point it at ${target}`, { cause: error });
  }
}
