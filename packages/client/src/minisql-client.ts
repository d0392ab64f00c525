/**
 * The client library: connect, execute, typed results. Errors are MiniSqlError with
 * the code and reason the server gave.
 */
import type { Login, SqlValue, TlsIdentity } from '@minisql/common';
import type { QueryResult } from '@minisql/wire';
import { RegionTransport } from '@minisql/wire';
import type { TableVerification } from '@minisql/wire';

/** Default time a statement may take before the client gives up, in milliseconds. */
export const STATEMENT_TIMEOUT_MS_DEFAULT = 30_000;
/** Default time to wait for the first connection, in milliseconds. */
export const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;

export interface ClientOptions {
  /** host:port of the region to talk to. */
  regionAddress: string;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** The certificate presented and the authority trusted; plaintext without one. */
  tls?: TlsIdentity;
  /** The user to act as (TLS only). */
  login?: Login;
}

export interface ExecuteOptions {
  /** Values for "?" placeholders, in order. */
  params?: readonly SqlValue[];
  timeoutMs?: number;
  /** Reuse the id of an earlier attempt when retrying the same write. */
  requestId?: string;
  /**
   * Aborting it cancels the statement (Ctrl-C in the REPL): the call rejects with
   * CANCELLED at once, and a select still running in a region's query worker is stopped.
   * A write already sent may still take effect.
   */
  signal?: AbortSignal;
  /**
   * Where a select is served: 'primary' (default, linearizable) or 'replica' (any
   * member of the group; the result is marked stale).
   */
  consistency?: 'primary' | 'replica';
}

export class MiniSqlClient {
  private readonly options: Readonly<Required<Omit<ClientOptions, 'tls' | 'login'>>>;
  private readonly transport: RegionTransport;

  private constructor(options: ClientOptions) {
    this.options = Object.freeze({
      regionAddress: options.regionAddress,
      statementTimeoutMs: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS_DEFAULT,
      connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
    });
    this.transport = new RegionTransport(this.options.regionAddress, options.tls, options.login);
  }

  /** Connects and checks the server answers; throws UNAVAILABLE naming the address if not. */
  static async connect(options: ClientOptions): Promise<MiniSqlClient> {
    const client = new MiniSqlClient(options);
    try {
      await client.transport.waitForReady(client.options.connectTimeoutMs);
      await client.transport.ping(client.options.connectTimeoutMs);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  get address(): string {
    return this.options.regionAddress;
  }

  /** Executes one statement. */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<QueryResult> {
    return this.transport.run(sql, { ...options, timeoutMs: options.timeoutMs ?? this.options.statementTimeoutMs });
  }

  /** A no-op round trip to the server, in the same connection. */
  async ping(): Promise<void> {
    await this.transport.ping(this.options.statementTimeoutMs);
  }

  /** A standalone region's checksum of `table` (of every table when none is named); it holds the only copy. */
  async verify(table?: string): Promise<TableVerification[]> {
    const tables = table !== undefined ? [table] : (await this.execute('show tables;')).rows.map((row) => String(row[0]));
    const verifications: TableVerification[] = [];
    for (const name of tables) verifications.push(await this.transport.verify(name, this.options.statementTimeoutMs));
    return verifications;
  }

  close(): void {
    this.transport.close();
  }
}
