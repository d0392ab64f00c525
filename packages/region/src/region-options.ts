/** Everything a region server is configured with, and the defaults, in one place. */
import type { TlsIdentity } from '@minisql/common';
import { HANDSHAKE_WAIT_MS_DEFAULT, WAITING_CONNECTIONS_DEFAULT } from '@minisql/wire';
import { ANSWER_BYTES_WAITING_MAX_DEFAULT } from './answer-budget.js';
import { LOG_ENTRIES_KEPT } from './table-file.js';

export interface RegionOptions {
  /**
   * This region's certificate: with it the gRPC server demands a certificate of the
   * cluster from every caller (mutual TLS) and FTP runs over TLS; without it, plaintext.
   */
  tls?: TlsIdentity;
  /** Name of this region, unique in the cluster; logged on every line. */
  regionId: string;
  /** host:port the gRPC server listens on. */
  listenAddress: string;
  /** Directory of the table files (created if missing). */
  dataDir: string;
  /** Rows one select may return; more are cut and the result marked truncated. */
  resultRowsMax: number;
  /** Bytes one result may hold; a select that would build more fails with LIMIT_EXCEEDED. */
  resultBytesMax: number;
  /** Prepared statements kept per table file and for multi-table statements. */
  statementCacheSize: number;
  /** Analysed statements kept, by statement text. */
  analysisCacheSize: number;
  /**
   * SQLite synchronous mode: FULL (the default) syncs every commit, so an acknowledged
   * write survives a power loss; NORMAL survives a crash of the process only.
   */
  synchronous: 'NORMAL' | 'FULL';
  /**
   * SQLite page cache of each table file's connection, in KiB. SQLite's own default is
   * 2,000 KiB; better-sqlite3 raises it to 16,000, which a region pays once per table.
   */
  pageCacheKiB: number;
  /** Largest gRPC message accepted or sent, in bytes. */
  messageBytesMax: number;
  /**
   * Longest a select may run, in milliseconds, whatever the client allows; past it the
   * region stops it and answers TIMEOUT. A client may ask for less (its own timeout).
   */
  statementTimeoutMs: number;
  /**
   * Query worker processes for selects that may run long (scans, ranges, joins); 0 runs
   * every select on the region's own thread, where nothing can stop it.
   */
  queryWorkers: number;
  /** Writes each table's log keeps (a copy in flight keeps more); see TableFileOptions. */
  logEntriesKept: number;
  /** SQLite heap one select in a query worker may use, in bytes (SQLite's hard heap limit). */
  queryMemoryBytesMax: number;
  /**
   * How long a caller has for its TLS handshake and, on the statement protocol, to send
   * its login, in milliseconds (PostgreSQL's authentication_timeout); then it is cut off.
   */
  loginWaitMs: number;
  /**
   * Connections in their handshake or waiting for their login at once, from one host and
   * from all hosts (wire's connection-gate.ts); one more is closed at once.
   */
  waitingConnectionsPerHostMax: number;
  waitingConnectionsMax: number;
  /**
   * Bytes of answers waiting for their clients at most, in all statement streams
   * (answer-budget.ts); past it the stream holding most is cut. With TLS only: without,
   * the region cannot reach a gRPC stream's connection.
   */
  answerBytesWaitingMax: number;
}

export const REGION_DEFAULTS: Readonly<Omit<RegionOptions, 'regionId' | 'listenAddress' | 'dataDir' | 'tls'>> = Object.freeze({
  resultRowsMax: 100_000,
  resultBytesMax: 64 * 1024 * 1024,
  statementCacheSize: 256,
  analysisCacheSize: 4_096,
  synchronous: 'FULL',
  pageCacheKiB: 2_048,
  messageBytesMax: 256 * 1024 * 1024,
  statementTimeoutMs: 60_000,
  queryWorkers: 2,
  logEntriesKept: LOG_ENTRIES_KEPT,
  queryMemoryBytesMax: 256 * 1024 * 1024,
  loginWaitMs: HANDSHAKE_WAIT_MS_DEFAULT,
  waitingConnectionsPerHostMax: WAITING_CONNECTIONS_DEFAULT.perHostMax,
  waitingConnectionsMax: WAITING_CONNECTIONS_DEFAULT.totalMax,
  answerBytesWaitingMax: ANSWER_BYTES_WAITING_MAX_DEFAULT,
});

/** Statements waiting for a query worker at most, per region; more are refused at once. */
export const QUERIES_WAITING_MAX = 256;

export const REGION_LISTEN_ADDRESS_DEFAULT = '127.0.0.1:7001';

/** A statement's deadline: what the client allows (0: nothing said), never past the region's limit. */
export function statementTimeoutMs(requestedMs: number, limitMs: number): number {
  return requestedMs > 0 ? Math.min(requestedMs, limitMs) : limitMs;
}
