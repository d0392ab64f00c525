/** minisql's gRPC wire, one package for client, master, region and the tester. */
export * from './grpc-status.js';
export * from './stubs.js';
export * from './frame-batcher.js';
export * from './sequenced-stream.js';
export * from './execute-frames.js';
export * from './query-result.js';
export * from './table-verification.js';
export * from './region-transport.js';
export * from './region-pool.js';
export * from './statement-frames.js';
export * from './statement-socket.js';
export { decodeExecuteFrame, decodeExecuteResultFrame, encodeExecuteFrame, encodeExecuteResultFrame } from './codec/execute-codec.js';
export * from './port/connection-gate.js';
export * from './port/gated-tls-port.js';
