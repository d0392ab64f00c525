/**
 * Everything a running test shares with its database, clients and nemesis.
 */
import type { Database } from './database.js';
import type { Remote } from './remote.js';
import { JepsenError } from './jepsen-errors.js';

export interface TestLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface TestContext {
  /** The test's name, used in the store path. */
  readonly name: string;
  /** The nodes, in configuration order. */
  readonly nodes: readonly string[];
  /** One remote per node. */
  readonly remotes: ReadonlyMap<string, Remote>;
  readonly db: Database;
  /** The free-form `database:` section of the configuration. */
  readonly databaseOptions: Readonly<Record<string, unknown>>;
  readonly log: TestLogger;
  /** Nanoseconds since the test started (the history's clock). */
  relativeTimeNs(): number;
}

export function remoteOf(test: TestContext, node: string): Remote {
  const remote = test.remotes.get(node);
  if (!remote) throw new JepsenError('UNKNOWN_NODE', `no remote for node ${node}; nodes are ${test.nodes.join(', ')}`);
  return remote;
}
