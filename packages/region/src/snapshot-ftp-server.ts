/**
 * The region's FTP server: table snapshots for replicas to copy. Login with the
 * configured user and password only (no anonymous); read-only (writing commands are
 * refused); confined to the snapshot folder (a path that resolves outside it, through
 * ".." or a link, is refused); passive data ports from the configured range.
 */
import { realpathSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { FileSystem, FtpSrv, type FtpConnection } from 'ftp-srv';
import type { Logger } from '@minisql/common';

/** FTP commands that change files: refused outright. */
const WRITE_COMMANDS = ['STOR', 'STOU', 'APPE', 'DELE', 'RMD', 'XRMD', 'MKD', 'XMKD', 'RNFR', 'RNTO', 'SITE'];

export interface SnapshotFtpOptions {
  /** host:port to listen on. */
  listenAddress: string;
  /** The address given to clients for passive connections. */
  passiveHost: string;
  passivePortMin: number;
  passivePortMax: number;
  user: string;
  password: string;
  /** The folder served; nothing outside it is reachable. */
  root: string;
}

class ReadOnlyFileSystem extends FileSystem {
  override read(fileName: string, options?: { start?: unknown }): Promise<unknown> {
    this.ensureInside(fileName);
    return super.read(fileName, options);
  }

  override get(fileName: string): Promise<unknown> {
    this.ensureInside(fileName);
    return super.get(fileName);
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

  constructor(private readonly options: SnapshotFtpOptions, private readonly logger: Logger) {
    this.server = new FtpSrv({
      url: `ftp://${options.listenAddress}`,
      pasv_url: options.passiveHost,
      pasv_min: options.passivePortMin,
      pasv_max: options.passivePortMax,
      anonymous: false,
      blacklist: WRITE_COMMANDS,
      greeting: 'minisql table snapshots (read-only)',
      log: ftpLog(logger) as never,
    });
    this.server.on('login', ({ connection, username, password }: { connection: FtpConnection; username: string; password: string }, resolve, reject) => {
      if (username !== options.user || password !== options.password) {
        this.logger.warn('FTP login refused', { user: username, from: connection.ip });
        reject(new Error('wrong user or password'));
        return;
      }
      resolve({ fs: new ReadOnlyFileSystem(connection, { root: options.root, cwd: '/' }), blacklist: WRITE_COMMANDS });
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
