/**
 * The RegionService gRPC handlers. Every failure, expected or not, becomes an Error
 * message in the response: a bad statement never fails the call or the process.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  fromProtoValue,
  MiniSqlError,
  type ExecuteRequest__Output,
  type ExecuteResponse,
  type Logger,
  type RegionServiceHandlers,
} from '@minisql/common';
import type { ClusterExecutor } from './cluster-executor.js';
import type { SqlEngine } from './sql-engine.js';

export function regionServiceHandlers(engine: SqlEngine, cluster: ClusterExecutor | undefined, regionId: string, incarnation: string, logger: Logger): RegionServiceHandlers {
  return {
    Execute(call: grpc.ServerUnaryCall<ExecuteRequest__Output, ExecuteResponse>, callback: grpc.sendUnaryData<ExecuteResponse>): void {
      const request = call.request;
      const work = cluster
        ? (timed: Timed) => cluster.execute(request, timed)
        : (timed: Timed) => ({ result: engine.executeLogged(request.sql, request.params.map(fromProtoValue), request.request_id).result, server_micros: timed() });
      void respond(request, logger, work).then((response) => callback(null, response));
    },
    Ping(_call, callback): void {
      callback(null, { region_id: regionId, incarnation });
    },
  };
}

/** Microseconds since the request arrived. */
export type Timed = () => number;

/**
 * Runs `work` for one request and makes its response: anything thrown becomes the
 * catalogued Error of the response, an unexpected one is logged. The one place both a
 * standalone and a cluster region answer through.
 */
export async function respond(
  request: ExecuteRequest__Output,
  logger: Logger,
  work: (timed: Timed) => ExecuteResponse | Promise<ExecuteResponse>,
): Promise<ExecuteResponse> {
  const started = process.hrtime.bigint();
  const timed: Timed = () => Number((process.hrtime.bigint() - started) / 1000n);
  try {
    return await work(timed);
  } catch (thrown) {
    const error = MiniSqlError.from(thrown);
    if (error.code === 'INTERNAL') logger.error('statement failed unexpectedly', { sql: request.sql.slice(0, 200), error: String((thrown as Error)?.stack ?? thrown) });
    return { error: error.toProto(), server_micros: timed() };
  }
}
