/**
 * The region's FTP server: table snapshots for replicas to copy. Login only with a
 * one-time login made for one copy (ftp-logins.ts; no anonymous), which reads that copy's
 * files and nothing else; with TLS on, only after AUTH TLS (explicit FTPS, data channels
 * encrypted too) and with a certificate of the cluster: a login sent in clear is refused
 * and its password void. Read-only (writing commands are refused); confined to the
 * snapshot folder (a path that resolves outside it, through ".." or a link, is refused);
 * passive data ports from the configured range.
 */
import { realpathSync } from 'node:fs';
import { basename, relative, isAbsolute } from 'node:path';
import { FileSystem, FtpSrv, type FtpConnection } from 'ftp-srv';
import type { Logger, TlsIdentity } from '@minisql/common';
import type { FtpLogins } from './ftp-logins.js';
import './ftp-passive-wait.js';

/** FTP commands that change files: refused outright. */
const WRITE_COMMANDS = ['STOR', 'STOU', 'APPE', 'DELE', 'RMD', 'XRMD', 'MKD', 'XMKD', 'RNFR', 'RNTO', 'SITE'];

export interface SnapshotFtpOptions {
  /** host:port to listen on. */
  listenAddress: string;
  /** The address given to clients for passive connections. */
  passiveHost: string;
  passivePortMin: number;
  passivePortMax: number;
  /** The one-time logins of the copies in flight. */
  logins: FtpLogins;
  /** With an identity, explicit FTPS only, and callers must present a certificate of the cluster. */
  tls: TlsIdentity | undefined;
  /** The folder served; nothing outside it is reachable. */
  root: string;
}

class ReadOnlyFileSystem extends FileSystem {
  constructor(
    connection: FtpConnection,
    options: { root: string; cwd: string },
    private readonly files: ReadonlySet<string>,
  ) {
    super(connection, options);
  }

  override read(fileName: string, options?: { start?: unknown }): Promise<unknown> {
    this.ensureInside(fileName);
    return super.read(fileName, options);
  }

  override get(fileName: string): Promise<unknown> {
    this.ensureInside(fileName);
    return super.get(fileName);
  }

  override async list(path?: string): Promise<unknown> {
    const entries = (await super.list(path ?? '.')) as Array<{ name: string }>;
    return entries.filter((entry) => this.files.has(entry.name));
  }

  override write(): never {
    throw new Error('this FTP server is read-only');
  }

  override delete(): Promise<never> {
    return Promise.reject(new Error('this FTP server is read-only'));
  }

  override mkdir(): Promise<never> {
    return Promise.reject(new Error('this FTP server is read-only'));
  }

  override rename(): Promise<never> {
    return Promise.reject(new Error('this FTP server is read-only'));
  }

  override chmod(): Promise<never> {
    return Promise.reject(new Error('this FTP server is read-only'));
  }

  /** Refuses a path whose real location (links followed) is outside the root. */
  private ensureInside(fileName: string): void {
    const { fsPath } = (this as unknown as { _resolvePath(path: string): { fsPath: string } })._resolvePath(fileName);
    if (fsPath !== this.root && !this.files.has(basename(fileName))) throw new Error(`${fileName} is not part of this copy`);
    let real: string;
    try {
      real = realpathSync(fsPath);
    } catch {
      return; // a missing file: the read fails by itself with "not found"
    }
    const inside = relative(realpathSync(this.root), real);
    if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${fileName} is outside the snapshot folder`);
  }
}

/** ftp-srv logs through bunyan; its lines go to our logger at debug level. */
function ftpLog(logger: Logger): unknown {
  const log = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (...args: unknown[]) => logger.debug('ftp warning', { detail: String(args.at(-1)) }),
    error: (...args: unknown[]) => logger.debug('ftp error', { detail: String(args.at(-1)) }),
    child: () => log,
  };
  return log;
}

export class SnapshotFtpServer {
  private readonly server: FtpSrv;

  constructor(
    private readonly options: SnapshotFtpOptions,
    private readonly logger: Logger,
  ) {
    this.server = new FtpSrv({
      url: `ftp://${options.listenAddress}`,
      pasv_url: options.passiveHost,
      pasv_min: options.passivePortMin,
      pasv_max: options.passivePortMax,
      anonymous: false,
      blacklist: WRITE_COMMANDS,
      greeting: 'minisql table snapshots (read-only)',
      log: ftpLog(logger) as never,
      // ftp-srv hands these to the passive data servers as they are (a certificate of the
      // cluster is demanded there) and makes the AUTH TLS context of the control channel from them.
      ...(options.tls
        ? { tls: { key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true } as never }
        : {}),
    });
    this.server.on('login', ({ connection, username, password }: { connection: FtpConnection; username: string; password: string }, resolve, reject) => {
      if (options.tls && !(connection as unknown as { secure: boolean }).secure) {
        // The password crossed the network in clear: it is void from now on.
        options.logins.revoke(username);
        this.logger.warn('FTP login without TLS refused', { from: connection.ip });
        reject(new Error('log in after AUTH TLS: this server takes no login in clear'));
        return;
      }
      const files = options.logins.check(username, password);
      if (!files) {
        this.logger.warn('FTP login refused', { from: connection.ip });
        reject(new Error('wrong user or password'));
        return;
      }
      resolve({ fs: new ReadOnlyFileSystem(connection, { root: options.root, cwd: '/' }, files), blacklist: WRITE_COMMANDS });
    });
  }

  async start(): Promise<void> {
    await this.server.listen();
    this.logger.info('FTP server serving snapshots', { address: this.options.listenAddress, root: this.options.root });
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}
