/**
 * The checker's errors: input the history readers and checkers cannot check at all.
 * Limits are not errors: a check that runs out of time or memory answers `unknown`.
 * Every message starts with its stable code and names the file, line or op concerned.
 * The tester (minisql-jepsen) extends this catalog with its own codes.
 */

export type CheckerErrorCode =
  /** A history file cannot be read. */
  | 'HISTORY_UNREADABLE'
  /** The text is not EDN (the message names the line and column). */
  | 'EDN_SYNTAX'
  /** A history line or op is not an op map, or the ops do not pair up by process. */
  | 'HISTORY_MALFORMED'
  /** An op's `f` is one the model has no step for. */
  | 'OPERATION_UNSUPPORTED'
  /** No model of that name. */
  | 'MODEL_UNKNOWN'
  /** No algorithm of that name. */
  | 'ALGORITHM_UNKNOWN';

/** An error with a stable code, which starts its message. */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'CodedError';
  }
}

/** Input the history readers and checkers cannot check at all. */
export class CheckerError extends CodedError<CheckerErrorCode> {
  constructor(code: CheckerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CheckerError';
  }
}
