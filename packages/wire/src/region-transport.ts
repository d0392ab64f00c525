/**
 * The gRPC connection to one region. The client library talks to regions only through
 * this class, so routing (through the master) can wrap it without touching callers.
 */
import * as grpc from '@grpc/grpc-js';
import {
  errors,
  MiniSqlError,
  newRequestId,
  toProtoValue,
  type SqlParam,
  type BackupPart__Output,
  type ExecuteFrame,
  type ExecuteRequest,
  type ExecuteResponse__Output,
  type ExecuteResultFrame__Output,
  type PingResponse__Output,
  type RegionServiceClient,
  type Login,
  type TlsIdentity,
} from '@minisql/common';
import { errorFromGrpcStatus } from './grpc-status.js';
import { EXECUTE_FRAMING } from './execute-frames.js';
import { regionStub } from './stubs.js';
import { SequencedStream } from './sequenced-stream.js';
import { openStatementSocket } from './statement-socket.js';
import { queryResultFromProto, type QueryResult } from './query-result.js';
import { verificationFromProto, type TableVerification } from './table-verification.js';

/** Largest message accepted from a region (large selects), in bytes. */
export const MESSAGE_BYTES_MAX = 256 * 1024 * 1024;
/** How long past a statement's deadline the client waits for the region's TIMEOUT answer, in milliseconds. */
export const DEADLINE_ANSWER_GRACE_MS = 1_000;
/** Set to 0, statements to regions go on the gRPC stream only (statement-socket.ts). */
export const STATEMENT_SOCKET_ENV = 'MINISQL_STATEMENT_SOCKET';
/** Reconnection backoff towards a region, in milliseconds. */
const RECONNECT_BACKOFF_MS_INITIAL = 50;
const RECONNECT_BACKOFF_MS_MAX = 500;

export class RegionTransport {
  /** The gRPC stub; one HTTP/2 connection, reused by every call. */
  private readonly stub: RegionServiceClient;
  /**
   * Whether statements go on the statement protocol (statement-socket.ts): with TLS, until
   * the region refuses it; MINISQL_STATEMENT_SOCKET=0 keeps them on the gRPC stream.
   */
  private statementSocket: boolean;
  /** Statements go on one long-lived stream: the statement protocol's connection, or RegionService.ExecuteStream. */
  private readonly statements: SequencedStream<ExecuteRequest, ExecuteResponse__Output, ExecuteFrame, ExecuteResultFrame__Output>;

  /** `tls`: the certificate presented and the authority trusted; plaintext without one. */
  constructor(
    readonly address: string,
    tls?: TlsIdentity,
    login?: Login,
  ) {
    this.stub = regionStub(
      address,
      tls,
      {
        'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
        'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
        // A region that comes back (and may be promoted) must be reached at once, not after
        // grpc's default backoff of up to two minutes.
        'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_INITIAL,
        'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MAX,
      },
      login,
    );
    this.statementSocket = tls !== undefined && process.env[STATEMENT_SOCKET_ENV] !== '0';
    // A statement not answered in time fails alone; the others on the stream go on.
    this.statements = new SequencedStream({
      address,
      open: () =>
        tls && this.statementSocket
          ? openStatementSocket(
              address,
              tls,
              login,
              () => {
                this.statementSocket = false;
                return this.stub.ExecuteStream();
              },
              MESSAGE_BYTES_MAX,
            )
          : this.stub.ExecuteStream(),
      timeoutBreaksStream: false,
      framing: EXECUTE_FRAMING,
    });
  }

  /** Sends one statement on the statement stream; rejects with a MiniSqlError when no answer comes. */
  execute(request: Omit<ExecuteRequest, 'sequence'>, timeoutMs: number, signal?: AbortSignal): Promise<ExecuteResponse__Output> {
    return this.statements.request(request, timeoutMs, signal);
  }

  /** A backup of `table` as SQL, part by part (RegionService.Backup); throws the MiniSqlError of a failed one. */
  async *backup(table: string): AsyncGenerator<BackupPart__Output> {
    const call = this.stub.Backup({ table });
    try {
      for await (const part of call as AsyncIterable<BackupPart__Output>) {
        if (part.error?.code) throw MiniSqlError.fromProto(part.error);
        yield part;
        if (part.done) return;
      }
      throw errors.unavailable(this.address, `the backup of table \`${table}\` ended before its last part`);
    } catch (error) {
      if (error instanceof MiniSqlError) throw error;
      throw errorFromGrpcStatus(error as grpc.ServiceError, this.address, 0);
    } finally {
      call.cancel();
    }
  }

  /** Executes one statement; resolves with its result or throws the MiniSqlError it produced. */
  run(
    sql: string,
    options: { params?: readonly SqlParam[]; requestId?: string; epoch?: number; consistency?: 'primary' | 'replica'; timeoutMs: number; signal?: AbortSignal },
  ): Promise<QueryResult> {
    let params: ExecuteRequest['params'];
    try {
      params = (options.params ?? []).map((value) => toProtoValue(value));
    } catch (error) {
      return Promise.reject(error);
    }
    // Not an async function: the answer passes through one promise here, not three.
    return this.execute(
      {
        sql,
        params,
        request_id: options.requestId ?? newRequestId(),
        epoch: options.epoch ?? 0,
        consistency: options.consistency === 'replica' ? 'READ_CONSISTENCY_REPLICA' : 'READ_CONSISTENCY_PRIMARY',
        // The region stops the statement at this deadline and says so; the client waits a
        // little longer for that answer, so a slow statement is told apart from a dead region.
        timeout_ms: options.timeoutMs,
      },
      options.timeoutMs + DEADLINE_ANSWER_GRACE_MS,
      options.signal,
    ).then((response) => {
      if (response.outcome === 'error' && response.error) throw MiniSqlError.fromProto(response.error);
      if (!response.result) throw new MiniSqlError('INTERNAL', `response from ${this.address} holds neither a result nor an error`);
      return queryResultFromProto(response.result, response.server_micros, response.stale);
    });
  }

  /** Asks the region (the primary of the table's group) to compare the table's copies. */
  verify(table: string, timeoutMs: number): Promise<TableVerification> {
    return new Promise((resolve, reject) => {
      this.stub.Verify({ table }, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error || !response) reject(errorFromGrpcStatus(error ?? { code: grpc.status.INTERNAL, details: 'empty response' }, this.address, timeoutMs));
        else if (response.error && response.error.code !== '') reject(MiniSqlError.fromProto(response.error));
        else resolve(verificationFromProto(response));
      });
    });
  }

  /** Where each of the region's tables stands in its log. */
  logPositions(timeoutMs: number): Promise<Map<string, number>> {
    return this.tablePositions(timeoutMs).then((positions) => new Map([...positions].map(([table, { position }]) => [table, position])));
  }

  /** Each of the region's tables: its log position and its file's size in bytes. */
  tablePositions(timeoutMs: number): Promise<Map<string, { position: number; bytes: number }>> {
    return new Promise((resolve, reject) => {
      this.stub.LogPositions({}, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error || !response) reject(errorFromGrpcStatus(error ?? { code: grpc.status.INTERNAL, details: 'empty response' }, this.address, timeoutMs));
        else if (response.error && response.error.code !== '') reject(MiniSqlError.fromProto(response.error));
        else resolve(new Map(response.positions.map((p) => [p.table, { position: Number(p.position), bytes: Number(p.bytes) }])));
      });
    });
  }

  ping(timeoutMs: number): Promise<PingResponse__Output> {
    return new Promise((resolve, reject) => {
      this.stub.Ping({}, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error || !response) reject(errorFromGrpcStatus(error ?? { code: grpc.status.INTERNAL, details: 'empty response' }, this.address, timeoutMs));
        else resolve(response);
      });
    });
  }

  /**
   * Opens the statement stream now, without waiting: a region the client may be sent to
   * next (a replica, promoted by a switchover or failover) has then made the connection,
   * its TLS handshake and its check of the login (a scrypt the first time, tens of
   * milliseconds) before the first statement.
   */
  warm(): void {
    this.statements.open();
  }

  /** Waits until the connection is up, or fails after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stub.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error) reject(errorFromGrpcStatus({ code: grpc.status.UNAVAILABLE, details: error.message }, this.address, timeoutMs));
        else resolve();
      });
    });
  }

  close(): void {
    this.statements.close();
    this.stub.close();
  }
}
