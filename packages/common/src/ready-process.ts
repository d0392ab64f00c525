/**
 * The one way minisql starts server processes (tests, the local cluster): spawn a Node
 * script and wait for the "READY <address>" line it prints once serving, or spawn any
 * program (etcd) and poll a readiness probe; stop it with a signal, escalating to
 * SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The line prefix every minisql server prints on stdout once it serves. */
export const READY_PREFIX = 'READY ';

export interface ReadyProcessOptions {
  /** The Node script to run (with SERVER_NODE_FLAGS); or give `command` to run another program. */
  script?: string;
  /** A program to run instead of a Node script. */
  command?: string;
  args?: readonly string[];
  /**
   * For programs that print no READY line: polled until it returns the address the
   * process serves at.
   */
  probe?: () => Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
  /** Time to wait for the READY line, in milliseconds. */
  readyTimeoutMs?: number;
  /** Receives every stderr line (logs); by default they are kept for error reports. */
  onStderrLine?: (line: string) => void;
}

/**
 * V8 flags of every minisql server process; scripts/master.sh and scripts/region.sh
 * pass the same. A young generation of 2 x 4 MB instead of V8's 2 x 16 MB: a server's
 * garbage is short-lived request objects, scavenged as cheaply in the smaller space
 * (measured: no change in CPU per gRPC call), and each process keeps 15-25 MB less
 * resident once busy.
 */
export const SERVER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4']);

/**
 * More Node flags for every server process, from MINISQL_NODE_FLAGS (space-separated):
 * `MINISQL_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:compare`
 * profiles each region and master (Node refuses --cpu-prof in NODE_OPTIONS).
 */
function extraNodeFlags(): string[] {
  return (process.env.MINISQL_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
}

export const READY_TIMEOUT_MS_DEFAULT = 20_000;
const STDERR_LINES_KEPT = 50;
const STOP_GRACE_MS = 3_000;
const PROBE_INTERVAL_MS = 100;

export class ReadyProcess {
  /** Last stderr lines, newest last; for error messages when the process misbehaves. */
  private readonly stderrTail: string[] = [];
  private exitPromise: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly address: string,
    stderrTail: string[],
    exited: Promise<number | null>,
  ) {
    this.stderrTail = stderrTail;
    this.exitPromise = exited;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get logTail(): string {
    return this.stderrTail.join('\n');
  }

  /** Resolves with the exit code (null when killed by a signal) once the process ends. */
  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  static start(options: ReadyProcessOptions): Promise<ReadyProcess> {
    const name = options.script ?? options.command ?? '(nothing)';
    const [command, args] =
      options.command !== undefined
        ? [options.command, [...(options.args ?? [])]]
        : [process.execPath, [...SERVER_NODE_FLAGS, ...extraNodeFlags(), options.script ?? '', ...(options.args ?? [])]];
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      options.onStderrLine?.(line);
      tail.push(line);
      if (tail.length > STDERR_LINES_KEPT) tail.shift();
    });
    const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${name} ${why}\n${tail.join('\n')}`));
      };
      const ready = (address: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(new ReadyProcess(child, address, tail, exited));
      };
      const timer = setTimeout(() => fail(`did not print READY within ${timeoutMs} ms`), timeoutMs);
      child.once('error', (error) => fail(`could not start: ${error.message}`));
      void exited.then((code) => fail(`exited with code ${code} before it was ready`));
      lines.on('line', (line) => {
        if (line.startsWith(READY_PREFIX)) ready(line.slice(READY_PREFIX.length).trim());
      });
      const probe = options.probe;
      if (probe) {
        const poll = async (): Promise<void> => {
          while (!settled) {
            const address = await probe().catch(() => undefined);
            if (address !== undefined) return ready(address);
            await new Promise((resume) => setTimeout(resume, PROBE_INTERVAL_MS));
          }
        };
        void poll();
      }
    });
  }

  /** Sends `signal`; if the process has not exited after the grace period, SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exitPromise;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    const code = await this.exitPromise;
    clearTimeout(timer);
    return code;
  }
}
