/**
 * A real server reached over SSH (the `ssh2` package), as pyjepsen's `server:` entries
 * describe it: hostname, port, username, and a password or a private key file.
 *
 * One connection per node, opened by the first command and shared by every command and
 * transfer after it; when it drops, the commands in flight fail with REMOTE_UNREACHABLE
 * (they may or may not have run, so they are never retried here) and the next command
 * connects again. Commands run as `sh -c '<command>'` (see remoteCommand for the exact
 * line) as the configured user, or behind `sudo -n` when `sudo` is set; the Remote
 * contract says "as root", so log in as root or set `sudo` for a user with password-less
 * sudo. Host keys are accepted without checking,
 * as pyjepsen's AutoAddPolicy does: test clusters are rebuilt often and their keys change.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { EXEC_TIMEOUT_MS_DEFAULT, EXIT_DRAIN_MS, OutputBuffer, checkedResult, commandExcerpt } from './exec-result.js';
import { type ExecOptions, type ExecResult, type Remote, RemoteError } from './remote.js';
import { shellQuote } from './shell-quote.js';

/** Default limit on the TCP connect, key exchange and authentication together. */
export const SSH_CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
/** Default interval of SSH keepalives, which notice a dead peer while nothing runs. */
export const SSH_KEEPALIVE_INTERVAL_MS_DEFAULT = 5_000;
/** Default limit on one upload or download. */
export const SSH_TRANSFER_TIMEOUT_MS_DEFAULT = 300_000;
/** Connection attempts per command before it fails with REMOTE_UNREACHABLE. */
const CONNECT_ATTEMPTS_MAX = 3;
/** Pause before the second attempt; doubled for each later one. */
const CONNECT_RETRY_BACKOFF_MS = 250;
/** Keepalives unanswered before ssh2 drops the connection. */
const KEEPALIVE_COUNT_MAX = 3;
/**
 * Sessions (commands and transfers) open at once on the one connection. OpenSSH refuses
 * more than MaxSessions, 10 by default; the rest wait their turn.
 */
const SESSIONS_MAX = 8;
/** How long close() waits for the server to acknowledge the disconnect. */
const CLOSE_WAIT_MS = 2_000;

export interface SshRemoteOptions {
  /** The node's name in the test (pyjepsen's key, e.g. client1). */
  node: string;
  hostname: string;
  /** Default 22. */
  port?: number;
  /** Default root. */
  username?: string;
  /** Password authentication (pyjepsen's `password`). */
  password?: string;
  /** Key authentication: path of an OpenSSH private key file (pyjepsen's `private_key`). */
  privateKeyPath?: string;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
  /** The address nodes and clients use to reach it; default `hostname`. */
  address?: string;
  /** Default SSH_CONNECT_TIMEOUT_MS_DEFAULT. */
  connectTimeoutMs?: number;
  /** Default SSH_KEEPALIVE_INTERVAL_MS_DEFAULT; 0 turns keepalives off. */
  keepaliveIntervalMs?: number;
  /** Limit on one upload or download; default SSH_TRANSFER_TIMEOUT_MS_DEFAULT. */
  transferTimeoutMs?: number;
  /** Run commands behind `sudo -n` (for a non-root user with password-less sudo). Default false. */
  sudo?: boolean;
  /**
   * Compare SHA-256 sums on both sides of every transfer (needs `sha256sum` on the node).
   * Default true.
   */
  verifyTransfers?: boolean;
}

type ResolvedOptions = Readonly<
  Required<Omit<SshRemoteOptions, 'password' | 'privateKeyPath' | 'passphrase'>> & Pick<SshRemoteOptions, 'password' | 'privateKeyPath' | 'passphrase'>
>;

/** A session in flight on a connection, failed at once if that connection drops. */
interface InFlight {
  readonly client: Client;
  fail(reason: Error): void;
}

export class SshRemote implements Remote {
  readonly node: string;
  readonly address: string;
  private readonly options: ResolvedOptions;
  /** The open, authenticated connection; undefined before the first command and after a loss. */
  private client: Client | undefined;
  /** The connection being made, shared by the commands that arrive meanwhile. */
  private connecting: Promise<Client> | undefined;
  /** Sessions in flight, so a lost connection fails them now rather than at their timeout. */
  private readonly inFlight = new Set<InFlight>();
  private readonly slots = new SessionSlots(SESSIONS_MAX);

  constructor(options: SshRemoteOptions) {
    if (options.node === '') throw new TypeError('SshRemote needs a node name');
    if (options.hostname === '') throw new TypeError(`SshRemote for ${options.node} needs a hostname`);
    if (options.password === undefined && options.privateKeyPath === undefined) {
      throw new TypeError(`SshRemote for ${options.node} needs a password or a privateKeyPath`);
    }
    this.options = Object.freeze({
      node: options.node,
      hostname: options.hostname,
      port: options.port ?? 22,
      username: options.username ?? 'root',
      password: options.password,
      privateKeyPath: options.privateKeyPath,
      passphrase: options.passphrase,
      address: options.address ?? options.hostname,
      connectTimeoutMs: options.connectTimeoutMs ?? SSH_CONNECT_TIMEOUT_MS_DEFAULT,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? SSH_KEEPALIVE_INTERVAL_MS_DEFAULT,
      transferTimeoutMs: options.transferTimeoutMs ?? SSH_TRANSFER_TIMEOUT_MS_DEFAULT,
      sudo: options.sudo ?? false,
      verifyTransfers: options.verifyTransfers ?? true,
    });
    this.node = this.options.node;
    this.address = this.options.address;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? EXEC_TIMEOUT_MS_DEFAULT;
    const wrapped = `${this.options.sudo ? 'sudo -n ' : ''}${remoteCommand(command, timeoutMs)}`;
    const result = await this.session<ExecResult>(command, timeoutMs, (client, finish) => {
      let channel: ClientChannel | undefined;
      client.exec(wrapped, (error, opened) => {
        if (error) {
          finish(this.unreachable(command, `cannot start \`${commandExcerpt(command)}\`: ${error.message}`, error));
          return;
        }
        channel = opened;
        collectOutput(opened, options.stdin ?? '', (output) => finish(undefined, output));
      });
      return () => {
        // The server's `timeout` kills the command; closing the channel does not.
        try {
          channel?.close();
        } catch {
          // The channel is already gone.
        }
      };
    });
    return checkedResult(this.node, command, result, options.check ?? true);
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    const label = `upload ${localPath} ${remotePath}`;
    const [localSum, localStat] = await Promise.all([
      this.options.verifyTransfers ? sha256File(localPath) : Promise.resolve(''),
      stat(localPath).catch((error: Error) => {
        throw new RemoteError('REMOTE_FAILED', this.node, label, `cannot read ${localPath}: ${error.message}`, undefined, { cause: error });
      }),
    ]);
    await this.sftpTransfer(label, (sftp, done) => sftp.fastPut(localPath, remotePath, { mode: localStat.mode & 0o7777 }, done));
    if (this.options.verifyTransfers) {
      const remoteSum = await this.remoteSha256(remotePath);
      if (remoteSum !== localSum) {
        throw new RemoteError(
          'REMOTE_FAILED',
          this.node,
          label,
          `upload of ${localPath} to ${remotePath} arrived corrupted: SHA-256 ${remoteSum} there, ${localSum} here`,
        );
      }
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const label = `download ${remotePath} ${localPath}`;
    const remoteSum = this.options.verifyTransfers ? await this.remoteSha256(remotePath) : '';
    await this.sftpTransfer(label, (sftp, done) => sftp.fastGet(remotePath, localPath, done));
    if (this.options.verifyTransfers) {
      const localSum = await sha256File(localPath);
      if (remoteSum !== localSum) {
        throw new RemoteError(
          'REMOTE_FAILED',
          this.node,
          label,
          `download of ${remotePath} to ${localPath} arrived corrupted: SHA-256 ${localSum} here, ${remoteSum} there`,
        );
      }
    }
  }

  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
    this.dropConnection(client, new Error('the remote was closed'));
  }

  /**
   * Runs one session: waits for a free slot, connects if needed, starts the work, and
   * settles it when the work finishes, the connection drops, or `timeoutMs` passes
   * (counted from the call, so waiting for a slot or a connection counts too).
   */
  private async session<T>(
    label: string,
    timeoutMs: number,
    start: (client: Client, finish: (error: Error | undefined, value?: T) => void) => () => void,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const timedOut = (cause?: Error): RemoteError =>
      new RemoteError(
        'REMOTE_TIMEOUT',
        this.node,
        label,
        `\`${commandExcerpt(label)}\` did not finish within ${timeoutMs} ms${cause === undefined ? '' : ` (still connecting: ${cause.message})`}`,
        undefined,
        cause === undefined ? undefined : { cause },
      );
    if (!(await this.slots.acquire(deadline))) throw timedOut();
    try {
      let client: Client;
      try {
        client = await this.connection(label, deadline);
      } catch (error) {
        // The command's own deadline ran out while the connection was still being made (a
        // loaded machine can take longer than a short timeout to finish the handshake):
        // that is this command's timeout, not proof that the node is unreachable.
        const authentication = (error as { authentication?: boolean }).authentication === true;
        if (!authentication && Date.now() >= deadline) throw timedOut(error as Error);
        throw error;
      }
      return await new Promise<T>((resolve, reject) => {
        let settled = false;
        let abort: () => void = () => {};
        const entry: InFlight = {
          client,
          fail: (reason) => finish(this.unreachable(label, `connection lost during \`${commandExcerpt(label)}\`: ${reason.message}`, reason)),
        };
        const finish = (error: Error | undefined, value?: T): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.inFlight.delete(entry);
          if (error) reject(error);
          else resolve(value as T);
        };
        const timer = setTimeout(
          () => {
            abort();
            finish(timedOut());
          },
          Math.max(0, deadline - Date.now()),
        );
        this.inFlight.add(entry);
        abort = start(client, finish);
      });
    } finally {
      this.slots.release();
    }
  }

  private async sftpTransfer(label: string, transfer: (sftp: SFTPWrapper, done: (error: Error | null | undefined) => void) => void): Promise<void> {
    await this.session<void>(label, this.options.transferTimeoutMs, (client, finish) => {
      let sftpSession: SFTPWrapper | undefined;
      client.sftp((error, sftp) => {
        if (error) {
          finish(this.unreachable(label, `cannot start SFTP: ${error.message}`, error));
          return;
        }
        sftpSession = sftp;
        transfer(sftp, (failure) => {
          sftp.end();
          finish(
            failure ? new RemoteError('REMOTE_FAILED', this.node, label, `${label} failed: ${failure.message}`, undefined, { cause: failure }) : undefined,
          );
        });
      });
      return () => sftpSession?.end();
    });
  }

  private async remoteSha256(remotePath: string): Promise<string> {
    const { stdout } = await this.exec(`sha256sum -- ${shellQuote(remotePath)}`, { timeoutMs: this.options.transferTimeoutMs });
    const sum = stdout.trim().split(/\s+/)[0] ?? '';
    if (!/^[0-9a-f]{64}$/.test(sum)) {
      throw new RemoteError('REMOTE_FAILED', this.node, `sha256sum ${remotePath}`, `sha256sum printed ${JSON.stringify(stdout.slice(0, 100))}, not a checksum`);
    }
    return sum;
  }

  /** The open connection, or a new one made with a few bounded attempts before `deadline`. */
  private async connection(label: string, deadline: number): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connectWithRetries(label, deadline).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectWithRetries(label: string, deadline: number): Promise<Client> {
    let lastError: RemoteError | undefined;
    for (let attempt = 1; attempt <= CONNECT_ATTEMPTS_MAX; attempt++) {
      if (attempt > 1) {
        const pauseMs = CONNECT_RETRY_BACKOFF_MS * 2 ** (attempt - 2);
        if (Date.now() + pauseMs >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      try {
        return await this.connectOnce(label, Math.min(this.options.connectTimeoutMs, Math.max(1, deadline - Date.now())));
      } catch (error) {
        lastError = error as RemoteError;
        // Wrong credentials stay wrong; only network trouble is worth another try.
        if ((error as RemoteError & { authentication?: boolean }).authentication) break;
      }
    }
    throw lastError ?? this.unreachable(label, `no time left to connect to ${this.endpoint()}`);
  }

  private async connectOnce(label: string, timeoutMs: number): Promise<Client> {
    const options = this.options;
    let privateKey: Buffer | undefined;
    if (options.privateKeyPath !== undefined) {
      try {
        privateKey = await readFile(options.privateKeyPath);
      } catch (error) {
        throw Object.assign(this.unreachable(label, `cannot read private key ${options.privateKeyPath}: ${(error as Error).message}`, error), {
          authentication: true,
        });
      }
    }
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let ready = false;
      let failed = false;
      const fail = (error: Error & { level?: string }): void => {
        if (ready || failed) return;
        failed = true;
        clearTimeout(guard);
        client.end();
        const authentication = error.level === 'client-authentication';
        const why = authentication ? `authentication as ${options.username} refused` : error.message;
        reject(Object.assign(this.unreachable(label, `cannot connect to ${this.endpoint()}: ${why}`, error), { authentication }));
      };
      // ssh2's readyTimeout bounds the handshake; this bounds everything, in case it does not fire.
      const guard = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs + 1_000);
      client.on('ready', () => {
        if (failed) return;
        ready = true;
        clearTimeout(guard);
        this.client = client;
        resolve(client);
      });
      client.on('error', (error) => {
        if (ready) this.dropConnection(client, error);
        else fail(error);
      });
      client.on('close', () => {
        if (ready) this.dropConnection(client, new Error('the server closed the connection'));
        else fail(new Error('the server closed the connection during the handshake'));
      });
      client.connect({
        host: options.hostname,
        port: options.port,
        username: options.username,
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(privateKey === undefined ? {} : { privateKey }),
        ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
        readyTimeout: timeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      });
    });
  }

  /** Forgets a connection that dropped and fails every session that was using it. */
  private dropConnection(client: Client, reason: Error): void {
    if (this.client === client) this.client = undefined;
    for (const entry of [...this.inFlight]) {
      if (entry.client === client) entry.fail(reason);
    }
  }

  private unreachable(command: string, message: string, cause?: unknown): RemoteError {
    return new RemoteError('REMOTE_UNREACHABLE', this.node, command, message, undefined, cause === undefined ? undefined : { cause });
  }

  private endpoint(): string {
    return `${this.options.username}@${this.options.hostname}:${this.options.port}`;
  }
}

/**
 * The command line sent to the server: `sh -c <command>` under coreutils' `timeout`, so a
 * command that outlives `timeoutMs` is killed there with everything in its process group
 * (sshd leaves a command running when its channel closes, and OpenSSH ignores signal
 * requests for sessions without a terminal). Servers without `timeout` run it unguarded.
 * The command travels as `$0` of the guard script, so it is quoted exactly once.
 */
export function remoteCommand(command: string, timeoutMs: number): string {
  const seconds = (Math.max(1, timeoutMs) / 1000).toFixed(3);
  const guard = `if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL ${seconds} sh -c "$0"; else exec sh -c "$0"; fi`;
  return `sh -c ${shellQuote(guard)} ${shellQuote(command)}`;
}

/** Reads a command's output until it exits and its streams close (or EXIT_DRAIN_MS after it exits). */
function collectOutput(channel: ClientChannel, stdin: string, done: (result: ExecResult) => void): void {
  const stdout = new OutputBuffer();
  const stderr = new OutputBuffer();
  let exitCode: number | null = null;
  let finished = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(drainTimer);
    done({ stdout: stdout.text(), stderr: stderr.text(), exitCode });
  };
  channel.on('data', (chunk: Buffer) => stdout.append(chunk));
  channel.stderr.on('data', (chunk: Buffer) => stderr.append(chunk));
  channel.on('exit', (code: number | null) => {
    exitCode = typeof code === 'number' ? code : null;
    drainTimer = setTimeout(() => {
      channel.close();
      finish();
    }, EXIT_DRAIN_MS);
  });
  channel.on('close', finish);
  channel.end(stdin);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A counting semaphore whose waiters give up at a deadline. */
class SessionSlots {
  /** Slots taken now; at most `capacity`. */
  private taken = 0;
  /** Waiters in arrival order; each is called with true when it gets a slot. */
  private readonly waiters: ((granted: boolean) => void)[] = [];

  constructor(private readonly capacity: number) {}

  /** Resolves true with a slot held, or false if `deadline` passed first. */
  acquire(deadline: number): Promise<boolean> {
    if (this.taken < this.capacity) {
      this.taken++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter = (granted: boolean): void => {
        clearTimeout(timer);
        resolve(granted);
      };
      const timer = setTimeout(
        () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `taken` stays the same.
    if (next) next(true);
    else this.taken--;
  }
}
