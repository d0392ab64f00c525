export * from './cluster-client.js';
export * from './master-connection.js';
export * from './minisql-client.js';
export * from './query-result.js';
export * from './region-transport.js';
export * from './region-pool.js';
export * from './table-verification.js';
export { COMMAND_LINE_ORIGIN, ScriptRunner, type StatementExecutor } from './script-runner.js';
