/**
 * The errors of the history readers and the checkers, each with a stable code. Limits
 * (time, memory) are not errors: a check that runs out of either answers `unknown`.
 * These are for input that cannot be checked at all: text that is not EDN or JSON, a
 * history whose ops do not pair up, an op the model has no meaning for.
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

export class CheckerError extends Error {
  constructor(
    readonly code: CheckerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'CheckerError';
  }
}
