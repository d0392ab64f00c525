/**
 * What the remotes share about a finished command: bounded output capture, and the
 * check that turns a non-zero exit into a RemoteError naming the node and the command.
 */
import { type ExecResult, RemoteError } from './remote.js';

/** Output kept per stream; more is dropped, so a chatty command cannot exhaust memory. */
export const EXEC_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;
/** Default limit on one command, as the Remote contract documents. */
export const EXEC_TIMEOUT_MS_DEFAULT = 60_000;
/** Characters of stderr quoted in an error message. */
const STDERR_EXCERPT_CHARS_MAX = 600;
/** Characters of the command quoted in an error message. */
const COMMAND_EXCERPT_CHARS_MAX = 200;
/**
 * After the command exits, how long to wait for its output streams to close. A command
 * that starts a daemon without redirecting the daemon's output leaves the streams open
 * forever; after this grace the exec completes with the output read so far.
 */
export const EXIT_DRAIN_MS = 250;

/** Collects one output stream up to EXEC_OUTPUT_BYTES_MAX bytes. */
export class OutputBuffer {
  /** Chunks received, in order; their total length is `bytes`. */
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  /** True once output beyond the limit was dropped. */
  private truncated = false;

  append(chunk: Buffer | string): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const room = EXEC_OUTPUT_BYTES_MAX - this.bytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = buffer.length > room ? buffer.subarray(0, room) : buffer;
    if (kept.length < buffer.length) this.truncated = true;
    this.chunks.push(kept);
    this.bytes += kept.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.truncated ? `${text}\n[output truncated at ${EXEC_OUTPUT_BYTES_MAX} bytes]` : text;
  }
}

/** The command as quoted in messages: its first line, shortened. */
export function commandExcerpt(command: string): string {
  const firstLine = command.trim().split('\n')[0] ?? '';
  const more = firstLine.length < command.trim().length;
  return firstLine.length > COMMAND_EXCERPT_CHARS_MAX || more ? `${firstLine.slice(0, COMMAND_EXCERPT_CHARS_MAX)} ...` : firstLine;
}

/** Returns the result, or throws REMOTE_FAILED when `check` is on and the exit code is not 0. */
export function checkedResult(node: string, command: string, result: ExecResult, check: boolean): ExecResult {
  if (!check || result.exitCode === 0) return result;
  const stderr = result.stderr.trim();
  const excerpt = stderr.length > STDERR_EXCERPT_CHARS_MAX ? `...${stderr.slice(-STDERR_EXCERPT_CHARS_MAX)}` : stderr;
  const status = result.exitCode === null ? 'was ended by a signal' : `exited with ${result.exitCode}`;
  throw new RemoteError('REMOTE_FAILED', node, command, `\`${commandExcerpt(command)}\` ${status}${excerpt === '' ? '' : `: ${excerpt}`}`, result);
}
