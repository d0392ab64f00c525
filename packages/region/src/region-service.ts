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
      if (cluster) void cluster.execute(call.request).then((response) => callback(null, response));
      else callback(null, execute(engine, call.request, logger));
    },
    Ping(_call, callback): void {
      callback(null, { region_id: regionId, incarnation });
    },
  };
}

export function execute(engine: SqlEngine, request: ExecuteRequest__Output, logger: Logger): ExecuteResponse {
  const started = process.hrtime.bigint();
  const micros = (): number => Number((process.hrtime.bigint() - started) / 1000n);
  try {
    const { result } = engine.executeLogged(request.sql, request.params.map(fromProtoValue), request.request_id);
    return { result, server_micros: micros() };
  } catch (thrown) {
    const error = MiniSqlError.from(thrown);
    if (error.code === 'INTERNAL') logger.error('statement failed unexpectedly', { sql: request.sql.slice(0, 200), error: String((thrown as Error)?.stack ?? thrown) });
    return { error: error.toProto(), server_micros: micros() };
  }
}
