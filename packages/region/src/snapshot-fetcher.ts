/**
 * Downloads a table snapshot from a primary's FTP server and checks its SHA-256; a
 * corrupted or cut-short download is fetched again, a bounded number of times.
 */
import { Client } from 'basic-ftp';
import { rmSync } from 'node:fs';
import { errors, hostAndPort, sha256Of, type Logger, type TlsIdentity } from '@minisql/common';
import type { FtpLogin } from './ftp-logins.js';
import type { Snapshot } from './snapshot-store.js';

export const DOWNLOAD_ATTEMPTS_MAX = 3;
/** Time a silent FTP connection may take, in milliseconds. */
const FTP_TIMEOUT_MS = 30_000;

export interface DownloadProgress {
  table: string;
  bytes: number;
  totalBytes: number;
}

export async function fetchSnapshot(
  ftpAddress: string,
  login: FtpLogin,
  /** With an identity: explicit FTPS, the server checked against the cluster's authority, this region's certificate presented. */
  tls: TlsIdentity | undefined,
  snapshot: Snapshot,
  destination: string,
  logger: Logger,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<void> {
  const { host, port } = hostAndPort(ftpAddress);
  let lastProblem = '';
  for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS_MAX; attempt += 1) {
    const client = new Client(FTP_TIMEOUT_MS);
    try {
      await client.access({
        host,
        port,
        user: login.user,
        password: login.password,
        ...(tls ? { secure: true, secureOptions: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {}),
      });
      client.trackProgress((info) => onProgress?.({ table: snapshot.table, bytes: info.bytes, totalBytes: snapshot.bytes }));
      await client.downloadTo(destination, snapshot.file);
      const sha256 = await sha256Of(destination);
      if (sha256 === snapshot.sha256) return;
      lastProblem = `SHA-256 ${sha256} instead of ${snapshot.sha256}`;
      logger.warn('downloaded snapshot is corrupt; fetching it again', { table: snapshot.table, attempt, problem: lastProblem });
    } catch (error) {
      lastProblem = (error as Error).message;
      logger.warn('snapshot download failed; fetching it again', { table: snapshot.table, attempt, problem: lastProblem });
    } finally {
      client.close();
    }
    rmSync(destination, { force: true });
  }
  throw errors.unavailable(
    ftpAddress,
    `snapshot of table \`${snapshot.table}\` could not be fetched intact in ${DOWNLOAD_ATTEMPTS_MAX} attempts: ${lastProblem}`,
  );
}
