/**
 * The RPC floor of the compare bench: a process that serves the RegionService contract
 * and does no work. ExecuteStream answers every statement with an empty
 * result without reading it; Ping answers at once. The bench drives it through the same
 * client library as minisql, so minisql / no-op is what the work itself costs.
 *   node packages/cluster/dist/bench/noop-region-server.js   (prints READY <address>)
 */
import * as grpc from '@grpc/grpc-js';
import {
  loadProtos,
  READY_PREFIX,
  type ExecuteFrame__Output,
  type ExecuteResponse,
  type ExecuteResultFrame,
  type RegionServiceHandlers,
} from '@minisql/common';
import { FrameBatcher, responseBytes } from '@minisql/wire';

const EMPTY: ExecuteResponse = { result: { columns: [], rows: [], rows_affected: 0 }, server_micros: 0 };

const handlers: RegionServiceHandlers = {
  ExecuteStream(call: grpc.ServerDuplexStream<ExecuteFrame__Output, ExecuteResultFrame>) {
    // Answers go back in frames, as a region sends them, so this stays the floor.
    const outbox = new FrameBatcher<ExecuteResponse>((responses) => call.write({ responses }), responseBytes);
    call.on('data', (frame: ExecuteFrame__Output) => {
      for (const request of frame.requests) outbox.push({ ...EMPTY, sequence: request.sequence });
    });
    call.on('end', () => {
      outbox.flush();
      call.end();
    });
    call.on('error', () => undefined);
  },
  Ping(_call, callback) {
    callback(null, { region_id: 'no-op', incarnation: 'no-op' });
  },
  LogPositions(_call, callback) {
    callback(null, { positions: [] });
  },
  Verify(_call, callback) {
    callback(null, { error: { code: 'UNSUPPORTED_STATEMENT', message: 'the no-op region holds no tables' } });
  },
  Backup(call) {
    call.write({ error: { code: 'UNSUPPORTED_STATEMENT', message: 'the no-op region holds no tables' }, done: true });
    call.end();
  },
};

const server = new grpc.Server();
server.addService(loadProtos().region.minisql.v1.RegionService.service, handlers);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(`noop-region-server: ${error.message}`);
    process.exit(1);
  }
  console.log(`${READY_PREFIX}127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
