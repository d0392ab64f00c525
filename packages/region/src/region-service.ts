/**
 * The RegionService gRPC handlers. Every failure, expected or not, becomes an Error
 * message in the response: a bad statement never fails the call or the process.
 */
import type * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupParts } from './table-backup.js';
import {
  callerOf,
  errors,
  StatementCancel,
  type CancelSignal,
  paramFromProto,
  MiniSqlError,
  type ExecuteFrame__Output,
  type ExecuteRequest__Output,
  type ExecuteResponse,
  type ExecuteResultFrame,
  currentPrincipal,
  principalOf,
  refusal,
  type Caller,
  type Principal,
  type UserDirectory,
  type Logger,
  type RegionServiceHandlers,
  type VerifyResponse,
} from '@minisql/common';
import { FrameBatcher, responseBytes } from '@minisql/wire';
import type { ClusterExecutor } from './cluster-executor.js';
import { REGION_DEFAULTS, statementTimeoutMs } from './region-options.js';
import type { SqlEngine } from './sql-engine.js';
import type { TableVerifier } from './table-verifier.js';
import { StatementFlow, STATEMENTS_PER_FRAME_MAX } from './statement-flow.js';
import { AnswerBudget } from './answer-budget.js';

export function regionServiceHandlers(
  engine: SqlEngine,
  cluster: ClusterExecutor | undefined,
  verifier: TableVerifier | undefined,
  regionId: string,
  incarnation: string,
  logger: Logger,
  /** The longest a select may run (RegionOptions.statementTimeoutMs). */
  statementTimeoutMsMax = REGION_DEFAULTS.statementTimeoutMs,
  /** The users, to log clients in (cluster with TLS only). */
  users?: UserDirectory,
  /** Where backups make their snapshots (removed as soon as each is read). */
  backupDir = join(tmpdir(), 'minisql-backups'),
  /** Answers waiting for their clients, in all streams (answer-budget.ts). */
  answers = new AnswerBudget(),
): RegionServiceHandlers {
  /** A standalone region's answer (no group, no fencing). */
  const answerAlone = async (request: ExecuteRequest__Output, timed: Timed, signal: CancelSignal): Promise<ExecuteResponse> => {
    const params = request.params.map(paramFromProto);
    const { sql, params: shapedParams, analysis } = engine.shape(request.sql, params);
    if (analysis.kind === 'select')
      return {
        result: await engine.select(sql, shapedParams, statementTimeoutMs(request.timeout_ms, statementTimeoutMsMax), signal),
        server_micros: timed(),
      };
    const outcome = engine.executeLogged(sql, shapedParams, request.request_id);
    // A write is answered once it is on disk (a retry answered from the log too).
    const written = outcome.write?.table ?? outcome.confirm?.table;
    if (written !== undefined) await engine.durable([written]);
    return { result: outcome.result, server_micros: timed() };
  };
  /** The answer to one request: in this turn when it waits for nothing (see ClusterExecutor.execute). */
  const answer = (
    request: ExecuteRequest__Output,
    caller: Caller,
    principal: Principal | Promise<Principal>,
    signal: CancelSignal,
  ): ExecuteResponse | Promise<ExecuteResponse> =>
    respond(request, logger, (timed) => {
      if (!cluster) return answerAlone(request, timed, signal);
      // Once the stream's login is known (every statement but the first few), no promise to wait on.
      if (principal instanceof Promise) return principal.then((known) => cluster.execute(request, timed, caller, currentPrincipal(known, users), signal));
      return cluster.execute(request, timed, caller, currentPrincipal(principal, users), signal);
    });
  return {
    ExecuteStream(call: grpc.ServerDuplexStream<ExecuteFrame__Output, ExecuteResultFrame>): void {
      // Statements run concurrently, as separate calls would; the answers ready in one
      // turn of the event loop go back in one frame. The stream ends once the client has
      // half-closed it and every statement is answered.
      let running = 0;
      let clientDone = false;
      const caller = callerOf(call);
      // One login per stream: its statements all act for the same user.
      const principal = principalOf(call, users);
      let loggedIn: Principal | undefined;
      principal.then(
        (known) => (loggedIn = known),
        () => undefined,
      );
      // A client that sends statements and does not read the answers stops having its
      // statements read (statement-flow.ts): its own buffers and the network's fill, not
      // this process's memory. Both transports apply backpressure to a paused call.
      const flow = new StatementFlow();
      const follow = (): void => {
        if (flow.reading && call.isPaused()) call.resume();
        else if (!flow.reading && !call.isPaused()) call.pause();
      };
      call.on('drain', () => {
        flow.drained();
        follow();
      });
      // Past the region's budget of answers waiting, the stream whose answers have waited most
      // is cut (answer-budget.ts). A statement connection is closed directly; a gRPC stream's
      // by its peer through the port (without TLS there is none, and nothing is counted).
      const stream = {};
      const cutPeer = answers.cutPeer;
      const direct = 'cut' in call ? (call as { cut(): void }) : undefined;
      const cut = direct ? () => (direct.cut(), true) : cutPeer ? () => cutPeer(call.getPeer()) : undefined;
      if (cut)
        answers.open(stream, (bytesWaiting) => {
          const fields = { peer: call.getPeer(), bytes_waiting: bytesWaiting, budget_bytes: answers.bytesMax };
          if (!cut()) {
            logger.error('answers waited past the budget, and their connection could not be found to close', fields);
            return false;
          }
          logger.warn('closed a client connection: its answers waited past the budget', fields);
          return true;
        });
      const release = (): void => answers.close(stream);
      call.once('close', release);
      call.once('cancelled', release);
      const outbox = new FrameBatcher<ExecuteResponse>((responses, bytes) => {
        if (call.cancelled) return;
        answers.add(stream, bytes);
        const taken = call.write({ responses }, () => answers.take(stream, bytes));
        flow.answered(responses.length, taken);
        follow();
      }, responseBytes);
      const endWhenDone = (): void => {
        if (!clientDone || running > 0 || call.cancelled) return;
        outbox.flush();
        call.end();
      };
      // Statements running, by sequence, so that a cancel in a later frame can reach them.
      const cancellers = new Map<number, StatementCancel>();
      call.on('data', (frame: ExecuteFrame__Output) => {
        flow.started(frame.requests.length);
        follow();
        if (frame.requests.length > STATEMENTS_PER_FRAME_MAX) {
          // No client sends so many in one frame (16 at most): none of them runs.
          const refused = errors.limitExceeded('statements in one frame', STATEMENTS_PER_FRAME_MAX).toProto();
          for (const request of frame.requests) outbox.push({ sequence: request.sequence, error: refused, server_micros: 0 });
          return;
        }
        // Counted first: a statement answered in this turn is then not the last one running
        // while others of its frame are still to start, and the frame's answers go together.
        running += frame.requests.length;
        for (const request of frame.requests) {
          const canceller = new StatementCancel();
          const answered = (response: ExecuteResponse): void => {
            running -= 1;
            // The last statement running: no other answer can join this frame, so it goes
            // now rather than at the turn's end (as the client's lone request does).
            // The sequence written first, not after a spread: see the wire package's
            // sequenced-stream.ts. Set again after the answer's own fields, so that an
            // answer kept from an earlier request never carries that request's sequence.
            const framed: ExecuteResponse = { sequence: request.sequence, ...response };
            framed.sequence = request.sequence;
            outbox.push(framed, running === 0);
            endWhenDone();
          };
          const response = answer(request, caller, loggedIn ?? principal, canceller);
          if (response instanceof Promise) {
            // Only a statement still running when this turn ends can be cancelled (a cancel
            // comes in a later frame). One answered now is not put in the map: adding and
            // removing sixteen entries a frame made V8 reallocate the map's table, in the
            // old generation, over and over (150 bytes a statement, in heap profiles).
            cancellers.set(request.sequence, canceller);
            void response.then((late) => {
              cancellers.delete(request.sequence);
              answered(late);
            });
          } else answered(response);
        }
        for (const sequence of frame.cancel ?? []) cancellers.get(sequence)?.abort();
      });
      call.on('end', () => {
        clientDone = true;
        endWhenDone();
      });
      // A broken stream: the client opens a new one; the statements still running finish.
      call.on('error', () => undefined);
    },
    Backup(call): void {
      void (async () => {
        try {
          // A backup reads every row of a table: an operator's action.
          const principal = await principalOf(call, users);
          const refused = principal.kind === 'user' ? refusal(principal.record, [{ privilege: 'admin' }], 'backup') : undefined;
          if (refused) throw refused;
          for await (const part of backupParts(engine.tableFile(call.request.table), backupDir)) {
            if (call.cancelled) return;
            if (!call.write(part)) await once(call, 'drain');
          }
        } catch (thrown) {
          if (!call.cancelled) call.write({ error: MiniSqlError.from(thrown).toProto(), done: true });
        }
        if (!call.cancelled) call.end();
      })();
    },
    Ping(_call, callback): void {
      callback(null, { region_id: regionId, incarnation });
    },
    LogPositions(_call, callback): void {
      try {
        callback(null, { positions: engine.logPositions() });
      } catch (thrown) {
        callback(null, { error: MiniSqlError.from(thrown).toProto() });
      }
    },
    Verify(call, callback): void {
      Promise.resolve()
        .then(async (): Promise<VerifyResponse> => {
          // Verify pauses the group's writes: an operator's action.
          const principal = await principalOf(call, users);
          const refused = principal.kind === 'user' ? refusal(principal.record, [{ privilege: 'admin' }], 'verify') : undefined;
          if (refused) throw refused;
          if (verifier) return verifier.verify(call.request.table);
          // A standalone region has one copy: its checksum alone, in one pass (it has no
          // lease to keep, and its writes go on: a checksum in steps could meet one each time).
          const own = await engine.tableChecksum(call.request.table, undefined);
          return { table: own.table, members: [{ region_id: regionId, role: 'standalone', position: own.position, rows: own.rows, checksum: own.checksum }] };
        })
        .then(
          (response) => callback(null, response),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() }),
        );
    },
  };
}

/** Microseconds since the request arrived. */
type Timed = () => number;

/**
 * Runs `work` for one request and makes its response: anything thrown becomes the
 * catalogued Error of the response, an unexpected one is logged. The one place both a
 * standalone and a cluster region answer through.
 */
function respond(
  request: ExecuteRequest__Output,
  logger: Logger,
  work: (timed: Timed) => ExecuteResponse | Promise<ExecuteResponse>,
): ExecuteResponse | Promise<ExecuteResponse> {
  const started = process.hrtime.bigint();
  const timed: Timed = () => Number((process.hrtime.bigint() - started) / 1000n);
  const failed = (thrown: unknown): ExecuteResponse => {
    const error = MiniSqlError.from(thrown);
    if (error.code === 'INTERNAL')
      logger.error('statement failed unexpectedly', { sql: String(request.sql ?? '').slice(0, 200), error: String((thrown as Error)?.stack ?? thrown) });
    return { error: error.toProto(), server_micros: timed() };
  };
  try {
    const response = work(timed);
    return response instanceof Promise ? response.catch(failed) : response;
  } catch (thrown) {
    return failed(thrown);
  }
}
