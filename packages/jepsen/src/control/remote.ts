/**
 * The port through which the tester acts on a node: run a shell command as root, copy a
 * file there and back. SSH remotes reach real servers; namespace remotes reach the
 * hosts of the one-machine test cluster.
 */
import { JepsenError } from '../jepsen-errors.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The command's exit code; null when it was ended by a signal. */
  exitCode: number | null;
}

export interface ExecOptions {
  /** Give up (and report a RemoteError with code REMOTE_TIMEOUT) after this long; default 60 s. */
  timeoutMs?: number;
  /** Text written to the command's standard input. */
  stdin?: string;
  /** Throw a RemoteError when the exit code is not 0 (default true). */
  check?: boolean;
}

export interface Remote {
  /** The node's name as the test knows it (e.g. host0, or pyjepsen's client1). */
  readonly node: string;
  /** The address other nodes and clients use to reach it. */
  readonly address: string;
  /** Runs `command` with `sh -c` as root on the node. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string): Promise<void>;
  download(remotePath: string, localPath: string): Promise<void>;
  close(): Promise<void>;
}

/** A remote command that failed, named by node and command. */
export class RemoteError extends JepsenError<'REMOTE_FAILED' | 'REMOTE_TIMEOUT' | 'REMOTE_UNREACHABLE'> {
  constructor(
    code: 'REMOTE_FAILED' | 'REMOTE_TIMEOUT' | 'REMOTE_UNREACHABLE',
    readonly node: string,
    readonly command: string,
    message: string,
    readonly result?: ExecResult,
    options?: { cause?: unknown },
  ) {
    super(code, `on ${node}: ${message}`, options);
    this.name = 'RemoteError';
  }
}
