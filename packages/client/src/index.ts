export * from './cluster-client.js';
export * from './master-connection.js';
export * from './minisql-client.js';
export * from '@minisql/wire';
export { COMMAND_LINE_ORIGIN, ScriptRunner, type StatementExecutor } from './script-runner.js';
