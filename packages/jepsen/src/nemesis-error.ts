/**
 * The errors nemeses raise. Each has a stable code; the message names the nemesis or
 * node and says what to change.
 */

export type NemesisErrorCode =
  /** The database adapter or the remotes lack what this fault needs (e.g. no kill). */
  | 'NEMESIS_UNSUPPORTED'
  /** The clock nemesis was asked to act on nodes that share one kernel clock. */
  | 'NEMESIS_CLOCK_SHARED'
  /** An op's f is not one this nemesis understands. */
  | 'NEMESIS_UNKNOWN_F'
  /** An op's value (partition shape, target spec, step) cannot be used. */
  | 'NEMESIS_BAD_VALUE'
  /** The primaries shape or target was asked for and the database named no primary. */
  | 'NEMESIS_NO_PRIMARIES'
  /** Two composed nemeses claim the same f. */
  | 'NEMESIS_DUPLICATE_F'
  /** Teardown could not heal a node it had harmed; the cluster may still be faulty. */
  | 'NEMESIS_HEAL_FAILED';

export class NemesisError extends Error {
  constructor(
    readonly code: NemesisErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'NemesisError';
  }
}
