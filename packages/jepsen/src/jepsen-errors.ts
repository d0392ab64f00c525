import { CodedError, type CheckerErrorCode } from '@minisql/checker';

export { CheckerError, CodedError, type CheckerErrorCode } from '@minisql/checker';

/**
 * The one catalog of minisql-jepsen's errors (the checker's codes, from its package, and the tester's): every error it raises carries one of these
 * stable codes, and its message starts with the code and names the node, file, field or
 * op concerned. Limits are not errors: a check that runs out of time or memory answers
 * `unknown`. Errors that carry more than a message (a remote command's node and result,
 * a configuration field) are subclasses, defined beside the code that raises them.
 */

export type JepsenErrorCode =
  // The command line and the test configuration.
  /** A command line that cannot be run (the message shows the usage). */
  | 'USAGE'
  /** A configuration value or key that cannot be used (names file and field). */
  | 'INVALID_TEST_CONFIG'
  /** A node the test does not have. */
  | 'UNKNOWN_NODE'
  // Histories and the checker: CheckerErrorCode.
  | CheckerErrorCode
  // Nemeses.
  /** The database adapter or the remotes lack what this fault needs (e.g. no kill). */
  | 'NEMESIS_UNSUPPORTED'
  /** The clock nemesis was asked to act on nodes that share one kernel clock. */
  | 'NEMESIS_CLOCK_SHARED'
  /** An op's f is not one this nemesis understands. */
  | 'NEMESIS_UNKNOWN_F'
  /** An op's value (partition shape, target spec, step) or a nemesis setting cannot be used. */
  | 'NEMESIS_BAD_VALUE'
  /** The primaries shape or target was asked for and the database named no primary. */
  | 'NEMESIS_NO_PRIMARIES'
  /** Two composed nemeses claim the same f. */
  | 'NEMESIS_DUPLICATE_F'
  /** Teardown could not heal a node it had harmed; the cluster may still be faulty. */
  | 'NEMESIS_HEAL_FAILED'
  // Nodes.
  /** A remote command exited non-zero. */
  | 'REMOTE_FAILED'
  /** A remote command ran past its timeout (and was killed there). */
  | 'REMOTE_TIMEOUT'
  /** The node could not be reached or logged into. */
  | 'REMOTE_UNREACHABLE'
  /** The namespace hosts could not be made or removed. */
  | 'NETNS_HOSTS_FAILED'
  /** The database did not come up on the nodes. */
  | 'DB_SETUP_FAILED'
  // The run and its results.
  /** A generator chose a thread that was busy (a bug in a generator). */
  | 'GENERATOR_BUSY_THREAD'
  /** A test name unfit for a folder name. */
  | 'STORE_BAD_NAME'
  /** No free folder for the run. */
  | 'STORE_RUN_EXISTS'
  /** The `latest` links could not be updated. */
  | 'STORE_LINK_FAILED';

export class JepsenError<Code extends JepsenErrorCode = JepsenErrorCode> extends CodedError<Code> {
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'JepsenError';
  }
}

/** A configuration value as text; a list or a map where a word belongs is refused, naming the field. */
export function scalarText(value: unknown, field: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new JepsenError('INVALID_TEST_CONFIG', `${field} must be a word or a number, not ${JSON.stringify(value)}`);
}

export type NemesisErrorCode = Extract<JepsenErrorCode, `NEMESIS_${string}`>;

/** A fault that cannot be carried out or healed; the message names the nemesis or node and says what to change. */
export class NemesisError extends JepsenError<NemesisErrorCode> {
  constructor(code: NemesisErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'NemesisError';
  }
}
