/**
 * The one error catalog of minisql. Every failure a user can see has a stable code
 * from this file and a message that names the object it concerns. Errors are data:
 * they travel inside responses as the `Error` message of types.proto and are rebuilt
 * on the other side by `MiniSqlError.fromProto`, so the reason is never lost.
 */
import type { Error__Output as ProtoError, Error as ProtoErrorInput } from './generated/minisql/v1/Error.js';

export const ErrorCode = {
  // The statement itself.
  SYNTAX_ERROR: 'SYNTAX_ERROR',
  EMPTY_STATEMENT: 'EMPTY_STATEMENT',
  MULTIPLE_STATEMENTS: 'MULTIPLE_STATEMENTS',
  UNSUPPORTED_STATEMENT: 'UNSUPPORTED_STATEMENT',
  INVALID_NAME: 'INVALID_NAME',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  PARAMETER_COUNT_MISMATCH: 'PARAMETER_COUNT_MISMATCH',
  SQL_ERROR: 'SQL_ERROR',
  NON_DETERMINISTIC: 'NON_DETERMINISTIC',
  // Objects.
  TABLE_EXISTS: 'TABLE_EXISTS',
  TABLE_NOT_FOUND: 'TABLE_NOT_FOUND',
  INDEX_EXISTS: 'INDEX_EXISTS',
  INDEX_NOT_FOUND: 'INDEX_NOT_FOUND',
  COLUMN_NOT_FOUND: 'COLUMN_NOT_FOUND',
  INVALID_DEFINITION: 'INVALID_DEFINITION',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  // Values and constraints.
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  NOT_NULL_VIOLATION: 'NOT_NULL_VIOLATION',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  VALUE_TOO_LONG: 'VALUE_TOO_LONG',
  VALUE_OUT_OF_RANGE: 'VALUE_OUT_OF_RANGE',
  COLUMN_COUNT_MISMATCH: 'COLUMN_COUNT_MISMATCH',
  CONSTRAINT_VIOLATION: 'CONSTRAINT_VIOLATION',
  // The cluster and the network.
  UNAVAILABLE: 'UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  NOT_PRIMARY: 'NOT_PRIMARY',
  NOT_ENOUGH_REPLICAS: 'NOT_ENOUGH_REPLICAS',
  STALE_EPOCH: 'STALE_EPOCH',
  NO_ROUTE: 'NO_ROUTE',
  REPLICA_DIVERGED: 'REPLICA_DIVERGED',
  MASTER_UNREACHABLE: 'MASTER_UNREACHABLE',
  // Configuration and setup.
  INVALID_CONFIG: 'INVALID_CONFIG',
  DUPLICATE_REGION: 'DUPLICATE_REGION',
  ETCD_UNAVAILABLE: 'ETCD_UNAVAILABLE',
  NOT_LEADER: 'NOT_LEADER',
  // Who may do what.
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  USER_EXISTS: 'USER_EXISTS',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  // The client side.
  FILE_ERROR: 'FILE_ERROR',
  DISK_FULL: 'DISK_FULL',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  // A bug in minisql: the message says what broke.
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes whose request may succeed when sent again unchanged (after a route refresh). */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.UNAVAILABLE,
  ErrorCode.TIMEOUT,
  ErrorCode.NOT_PRIMARY,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.STALE_EPOCH,
  ErrorCode.MASTER_UNREACHABLE,
  ErrorCode.ETCD_UNAVAILABLE,
  ErrorCode.NOT_LEADER,
]);

/**
 * Failures that say the statement certainly took no effect, on this attempt or any
 * earlier one: it was refused for what it is and would be refused every time. (A retried
 * write keeps its request id, so an attempt that did apply answers a retry from the log,
 * never with one of these.) Any other failure (unreachable, a timeout, not primary after
 * every retry, a full disk, an internal error) leaves the outcome unknown.
 */
const DEFINITE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.SYNTAX_ERROR,
  ErrorCode.EMPTY_STATEMENT,
  ErrorCode.MULTIPLE_STATEMENTS,
  ErrorCode.UNSUPPORTED_STATEMENT,
  ErrorCode.INVALID_NAME,
  ErrorCode.PARAMETER_COUNT_MISMATCH,
  ErrorCode.SQL_ERROR,
  ErrorCode.NON_DETERMINISTIC,
  ErrorCode.TABLE_NOT_FOUND,
  ErrorCode.COLUMN_NOT_FOUND,
  ErrorCode.DUPLICATE_KEY,
  ErrorCode.NOT_NULL_VIOLATION,
  ErrorCode.TYPE_MISMATCH,
  ErrorCode.VALUE_TOO_LONG,
  ErrorCode.VALUE_OUT_OF_RANGE,
  ErrorCode.COLUMN_COUNT_MISMATCH,
  ErrorCode.CONSTRAINT_VIOLATION,
  ErrorCode.PERMISSION_DENIED,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.USER_EXISTS,
  ErrorCode.USER_NOT_FOUND,
]);

export interface ErrorDetails {
  /** The table, column, index, value or address the error concerns. */
  object?: string;
  /** 1-based offset into the statement text, with its line and column. */
  position?: number;
  line?: number;
  column?: number;
  cause?: unknown;
  /** Overrides the code's own retryability (a statement that ran past its deadline: the statement is at fault, not the member). */
  retryable?: boolean;
}

export class MiniSqlError extends Error {
  readonly code: ErrorCode;
  readonly object: string;
  readonly position: number;
  readonly line: number;
  readonly column: number;
  private readonly retryableOverride: boolean | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'MiniSqlError';
    this.code = code;
    this.object = details.object ?? '';
    this.position = details.position ?? 0;
    this.line = details.line ?? 0;
    this.column = details.column ?? 0;
    this.retryableOverride = details.retryable;
  }

  get retryable(): boolean {
    return this.retryableOverride ?? RETRYABLE_CODES.has(this.code);
  }

  /** True when the statement certainly took no effect (see DEFINITE_CODES). */
  get definite(): boolean {
    return DEFINITE_CODES.has(this.code);
  }

  toProto(): ProtoErrorInput {
    return {
      code: this.code,
      message: this.message,
      object: this.object,
      position: this.position,
      line: this.line,
      column: this.column,
      retryable: this.retryable,
    };
  }

  static fromProto(error: ProtoError): MiniSqlError {
    const code = isErrorCode(error.code) ? error.code : ErrorCode.INTERNAL;
    const message = code === error.code ? error.message : `${error.code}: ${error.message}`;
    return new MiniSqlError(code, message, {
      object: error.object,
      position: error.position,
      line: error.line,
      column: error.column,
      // Only a refusal to retry travels: the code says the rest.
      ...(error.retryable === false && RETRYABLE_CODES.has(code) ? { retryable: false } : {}),
    });
  }

  /** Wraps anything thrown into a catalog error; a non-catalog throw is a bug, so INTERNAL. */
  static from(thrown: unknown): MiniSqlError {
    if (thrown instanceof MiniSqlError) return thrown;
    const text = thrown instanceof Error ? thrown.message : String(thrown);
    return new MiniSqlError(ErrorCode.INTERNAL, `internal error: ${text}`, { cause: thrown });
  }
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ErrorCode, code);
}

/** Quotes an identifier for messages the way the REPL shows it: `T`. */
export function quoteName(name: string): string {
  return `\`${name}\``;
}

/** A value in a message; undefined when the statement computed it and the region cannot tell. */
function shownValue(value: string | undefined): string {
  return value === undefined ? 'a computed value' : `value ${quoteName(value)}`;
}

/**
 * Constructors for every catalogued error, so the wording of each reason lives here
 * once and tests can match on it.
 */
export const errors = {
  syntax(near: string, position: number, line: number, column: number, expected?: string): MiniSqlError {
    const where = near === '' ? 'at end of statement' : `near ${quoteName(near)}`;
    const hint = expected ? ` (expected ${expected})` : '';
    const at = line > 0 ? ` at line ${line}, column ${column}` : '';
    return new MiniSqlError(ErrorCode.SYNTAX_ERROR, `syntax error ${where}${at}${hint}`, { object: near, position, line, column });
  },
  emptyStatement: () => new MiniSqlError(ErrorCode.EMPTY_STATEMENT, 'empty statement: nothing to execute'),
  multipleStatements: (count: number) => new MiniSqlError(ErrorCode.MULTIPLE_STATEMENTS, `expected one statement per request, got ${count}`),
  unsupported: (what: string) => new MiniSqlError(ErrorCode.UNSUPPORTED_STATEMENT, `${what} is not supported by minisql`, { object: what }),
  invalidName: (kind: string, name: string, why: string) =>
    new MiniSqlError(ErrorCode.INVALID_NAME, `invalid ${kind} name ${quoteName(name)}: ${why}`, { object: name }),
  limitExceeded: (what: string, limit: number) => new MiniSqlError(ErrorCode.LIMIT_EXCEEDED, `${what} exceeds the limit of ${limit}`, { object: what }),
  parameterCount: (expected: number, got: number) =>
    new MiniSqlError(ErrorCode.PARAMETER_COUNT_MISMATCH, `statement has ${expected} placeholder(s) but ${got} parameter(s) were given`),
  sql: (message: string, object = '') => new MiniSqlError(ErrorCode.SQL_ERROR, message, { object }),
  tableExists: (table: string) => new MiniSqlError(ErrorCode.TABLE_EXISTS, `table ${quoteName(table)} already exists`, { object: table }),
  tableNotFound: (table: string) => new MiniSqlError(ErrorCode.TABLE_NOT_FOUND, `table ${quoteName(table)} does not exist`, { object: table }),
  indexExists: (index: string) => new MiniSqlError(ErrorCode.INDEX_EXISTS, `index ${quoteName(index)} already exists`, { object: index }),
  indexNotFound: (index: string) => new MiniSqlError(ErrorCode.INDEX_NOT_FOUND, `index ${quoteName(index)} does not exist`, { object: index }),
  columnNotFound: (column: string, table: string) =>
    new MiniSqlError(ErrorCode.COLUMN_NOT_FOUND, `column ${quoteName(column)} does not exist in table ${quoteName(table)}`, { object: column }),
  invalidDefinition: (table: string, why: string) =>
    new MiniSqlError(ErrorCode.INVALID_DEFINITION, `invalid definition of table ${quoteName(table)}: ${why}`, {
      object: table,
    }),
  unknownType: (type: string, column: string) =>
    new MiniSqlError(ErrorCode.UNKNOWN_TYPE, `unknown type ${quoteName(type)} for column ${quoteName(column)}`, {
      object: column,
    }),
  duplicateKey: (column: string, value: string | undefined, primary: boolean) =>
    new MiniSqlError(
      ErrorCode.DUPLICATE_KEY,
      value === undefined
        ? `duplicate value for ${primary ? 'primary key' : 'unique'} column ${quoteName(column)}`
        : `duplicate value ${quoteName(value)} for ${primary ? 'primary key' : 'unique'} column ${quoteName(column)}`,
      { object: column },
    ),
  notNull: (column: string) => new MiniSqlError(ErrorCode.NOT_NULL_VIOLATION, `column ${quoteName(column)} cannot be null`, { object: column }),
  typeMismatch: (value: string | undefined, type: string, column: string) =>
    new MiniSqlError(ErrorCode.TYPE_MISMATCH, `${shownValue(value)} does not fit ${quoteName(type)} column ${quoteName(column)}`, { object: column }),
  valueTooLong: (value: string | undefined, type: string, column: string) =>
    new MiniSqlError(ErrorCode.VALUE_TOO_LONG, `${shownValue(value)} too long for ${quoteName(type)} column ${quoteName(column)}`, { object: column }),
  outOfRange: (value: string | undefined, type: string, column: string) =>
    new MiniSqlError(ErrorCode.VALUE_OUT_OF_RANGE, `${shownValue(value)} out of range for ${quoteName(type)} column ${quoteName(column)}`, { object: column }),
  columnCount: (table: string, expected: number, got: number) =>
    new MiniSqlError(ErrorCode.COLUMN_COUNT_MISMATCH, `column count does not match for table ${quoteName(table)}: expected ${expected} value(s), got ${got}`, {
      object: table,
    }),
  constraint: (message: string, object = '') => new MiniSqlError(ErrorCode.CONSTRAINT_VIOLATION, message, { object }),
  unavailable: (address: string, why: string) => new MiniSqlError(ErrorCode.UNAVAILABLE, `server at ${address} is unavailable: ${why}`, { object: address }),
  /** The server stopped a statement at its deadline: the statement is at fault, so a retry elsewhere would fail the same way. */
  statementTimeout: (timeoutMs: number) =>
    new MiniSqlError(ErrorCode.TIMEOUT, `the statement ran past its deadline of ${timeoutMs} ms and was stopped`, { object: 'statement', retryable: false }),
  /** Verify's checksum saw its table written (it should not be: verify holds the writes); retried, it may pass. */
  writtenDuringChecksum: (table: string, fromPosition: number, toPosition: number) =>
    new MiniSqlError(
      ErrorCode.UNAVAILABLE,
      `table ${quoteName(table)} was written during its checksum (log position ${fromPosition} to ${toPosition}): verify again`,
      { object: table },
    ),
  /** The client asked for the statement to be stopped (Ctrl-C): it is not run again anywhere. */
  cancelled: () => new MiniSqlError(ErrorCode.CANCELLED, "the statement was cancelled at the client's request", { object: 'statement' }),
  timeout: (address: string, timeoutMs: number) => new MiniSqlError(ErrorCode.TIMEOUT, `no answer from ${address} within ${timeoutMs} ms`, { object: address }),
  /** The disk under a table is full: its writes are refused, its reads go on. */
  diskFull: (table: string) =>
    new MiniSqlError(ErrorCode.DISK_FULL, `the disk holding table \`${table}\` is full: writes are refused until space is freed; reads go on`, {
      object: table,
    }),
  fileError: (path: string, why: string) => new MiniSqlError(ErrorCode.FILE_ERROR, `cannot read file ${quoteName(path)}: ${why}`, { object: path }),
  invalidArgument: (what: string, why: string) => new MiniSqlError(ErrorCode.INVALID_ARGUMENT, `invalid ${what}: ${why}`, { object: what }),
  invalidConfig: (source: string, field: string, why: string) =>
    new MiniSqlError(ErrorCode.INVALID_CONFIG, `invalid configuration in ${source}: ${field} ${why}`, { object: field }),
  duplicateRegion: (region: string, holder: string) =>
    new MiniSqlError(
      ErrorCode.DUPLICATE_REGION,
      `region name ${quoteName(region)} is already registered by the region at ${holder}; give each region its own name`,
      { object: region },
    ),
  etcdUnavailable: (endpoints: string, why: string) =>
    new MiniSqlError(ErrorCode.ETCD_UNAVAILABLE, `etcd is unreachable at ${endpoints}: ${why}`, { object: endpoints }),
  masterUnreachable: (address: string, why: string) =>
    new MiniSqlError(ErrorCode.MASTER_UNREACHABLE, `the master is unreachable at ${address}: ${why}`, { object: address }),
  notLeader: (masterId: string, why: string) =>
    new MiniSqlError(ErrorCode.NOT_LEADER, `master ${quoteName(masterId)} is on standby: ${why}`, { object: masterId }),
  noRoute: (table: string, why: string) => new MiniSqlError(ErrorCode.NO_ROUTE, `no region holds table ${quoteName(table)} yet: ${why}`, { object: table }),
  notPrimary: (region: string, why: string) =>
    new MiniSqlError(ErrorCode.NOT_PRIMARY, `region ${quoteName(region)} does not serve as primary: ${why}`, { object: region }),
  notEnoughReplicas: (group: string) =>
    new MiniSqlError(
      ErrorCode.NOT_ENOUGH_REPLICAS,
      `group ${group} has no in-sync replica and strictReplication is on: writes wait until a replica has caught up`,
      { object: group },
    ),
  staleEpoch: (group: string, epoch: number, seen: number) =>
    new MiniSqlError(ErrorCode.STALE_EPOCH, `group ${group} is at epoch ${epoch}; the request carried epoch ${seen}`, { object: group }),
  nonDeterministic: (what: string, why: string) => new MiniSqlError(ErrorCode.NON_DETERMINISTIC, `${what} cannot be used in a write: ${why}`, { object: what }),
  replicaDiverged: (object: string, why: string) =>
    new MiniSqlError(ErrorCode.REPLICA_DIVERGED, `this member's copy differs from its primary's at ${object}: ${why}`, { object }),
  /** The caller is known, and not allowed this. */
  permissionDenied: (caller: string, why: string) =>
    new MiniSqlError(ErrorCode.PERMISSION_DENIED, `permission denied to ${caller}: ${why}`, { object: caller }),
  userExists: (user: string) => new MiniSqlError(ErrorCode.USER_EXISTS, `user ${quoteName(user)} already exists`, { object: user }),
  userNotFound: (user: string) => new MiniSqlError(ErrorCode.USER_NOT_FOUND, `user ${quoteName(user)} does not exist`, { object: user }),
  /** The caller could not be told who it is. */
  unauthenticated: (who: string, why: string) => new MiniSqlError(ErrorCode.UNAUTHENTICATED, `${who} is not authenticated: ${why}`, { object: who }),
  internal: (why: string) => new MiniSqlError(ErrorCode.INTERNAL, `internal error: ${why}`),
};
