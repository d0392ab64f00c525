/**
 * A remote that is this machine: commands run in a local `sh -c`, optionally behind a
 * launcher (NetnsRemote puts `ip netns exec <namespace>` there). Files are copied, since
 * the "node" shares this machine's filesystem.
 */
import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { EXEC_TIMEOUT_MS_DEFAULT, EXIT_DRAIN_MS, OutputBuffer, checkedResult, commandExcerpt } from './exec-result.js';
import { type ExecOptions, type ExecResult, type Remote, RemoteError } from './remote.js';

export interface LocalRemoteOptions {
  /** The node's name in the test. */
  node: string;
  /** The address other nodes and clients use to reach it. Default 127.0.0.1. */
  address?: string;
  /**
   * Program and arguments that run `sh -c <command>` in the right place, e.g.
   * `['ip', 'netns', 'exec', 'mjh-host0']`. Default: none, the command runs here.
   */
  launcher?: readonly string[];
}

/** Runs commands as the user this process runs as (root, for the namespace hosts). */
export class LocalRemote implements Remote {
  readonly node: string;
  readonly address: string;
  /** Prepended to `sh -c <command>`; frozen at construction. */
  private readonly launcher: readonly string[];

  constructor(options: LocalRemoteOptions) {
    if (options.node === '') throw new TypeError('LocalRemote needs a node name');
    this.node = options.node;
    this.address = options.address ?? '127.0.0.1';
    this.launcher = Object.freeze([...(options.launcher ?? [])]);
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? EXEC_TIMEOUT_MS_DEFAULT;
    const argv = [...this.launcher, 'sh', '-c', command];
    return new Promise<ExecResult>((resolve, reject) => {
      // Its own process group, so a timeout can end the command and everything it started.
      const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout = new OutputBuffer();
      const stderr = new OutputBuffer();
      let settled = false;
      let exitCode: number | null = null;
      let drainTimer: NodeJS.Timeout | undefined;
      const finish = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(drainTimer);
        if (error) {
          reject(error);
          return;
        }
        try {
          resolve(checkedResult(this.node, command, { stdout: stdout.text(), stderr: stderr.text(), exitCode }, options.check ?? true));
        } catch (failure) {
          reject(failure);
        }
      };
      const timer = setTimeout(() => {
        killGroup(child.pid);
        finish(new RemoteError('REMOTE_TIMEOUT', this.node, command, `\`${commandExcerpt(command)}\` did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.append(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.append(chunk));
      child.on('error', (error) => {
        finish(new RemoteError('REMOTE_UNREACHABLE', this.node, command, `cannot start ${argv[0]}: ${error.message}`, undefined, { cause: error }));
      });
      child.on('exit', (code) => {
        exitCode = code;
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(undefined);
        }, EXIT_DRAIN_MS);
      });
      child.on('close', () => finish(undefined));
      // A command that reads stdin must see its end, or it would wait forever.
      child.stdin.on('error', () => {
        // The command exited without reading its input; its exit status says what happened.
      });
      child.stdin.end(options.stdin ?? '');
    });
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    await this.copy(localPath, remotePath, 'upload');
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await this.copy(remotePath, localPath, 'download');
  }

  async close(): Promise<void> {
    // Nothing is held open between commands.
  }

  private async copy(from: string, to: string, verb: string): Promise<void> {
    try {
      await copyFile(from, to);
    } catch (error) {
      throw new RemoteError('REMOTE_FAILED', this.node, `${verb} ${from} ${to}`, `cannot ${verb} ${from} to ${to}: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
