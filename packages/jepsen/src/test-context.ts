/**
 * Everything a running test shares with its database, clients and nemesis.
 */
import type { Op } from '@minisql/checker';
import type { DatabaseVerification } from './db/db-verification.js';
import type { PrimaryReplicaLink } from './nemesis/partition-shapes.js';
import type { Remote } from './control/remote.js';
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

/**
 * What a database must offer the tester (Jepsen's db and client protocols; pyjepsen's
 * database_op). Setup and teardown are required; the rest lets nemeses act on the
 * database in its own terms (kill and restart its processes, pause them, find primaries).
 */
export interface Database {
  readonly name: string;
  /** Installs and starts the database on one node; every node is set up concurrently. */
  setup(test: TestContext, node: string): Promise<void>;
  /**
   * Runs once, after every node's setup and before any client connects (Jepsen's
   * setup-primary!): what needs the whole cluster up, such as creating the test's tables.
   */
  setupPrimary?(test: TestContext): Promise<void>;
  /** Stops it and removes its files from the node. Must succeed on a node never set up. */
  teardown(test: TestContext, node: string): Promise<void>;
  isRunning(test: TestContext, node: string): Promise<boolean>;
  /**
   * The names of the processes the database runs on the node (minisql: etcd, master,
   * region), for faults that hit some of them only.
   */
  processes?(test: TestContext, node: string): string[];
  /** SIGKILLs the database's processes on the node; with `only`, those of these names. */
  kill?(test: TestContext, node: string, only?: readonly string[]): Promise<void>;
  /** Starts them again after a kill, keeping the node's data. */
  start?(test: TestContext, node: string, only?: readonly string[]): Promise<void>;
  /** SIGSTOPs them. */
  pause?(test: TestContext, node: string, only?: readonly string[]): Promise<void>;
  /** SIGCONTs them. */
  resume?(test: TestContext, node: string, only?: readonly string[]): Promise<void>;
  /** The nodes that are primaries (leaders) now, for the primaries partition. */
  primaries?(test: TestContext): Promise<string[]>;
  /** Every (primary, replica) pair of nodes now, for the one-way partition. */
  replicaLinks?(test: TestContext): Promise<PrimaryReplicaLink[]>;
  /**
   * Sends a query that would run for ever to a primary, allowing it `deadlineMs`, and
   * resolves with what came back, for the runaway nemesis (e.g. "TIMEOUT after 2003 ms;
   * epoch 1 -> 1"). Must not throw: a failure is described.
   */
  runaway?(test: TestContext, deadlineMs: number): Promise<string>;
  /**
   * Hands every group's primary role to one of its replicas on purpose (a planned
   * switchover), for the switchover nemesis; resolves with what each said. Must not throw.
   */
  switchover?(test: TestContext): Promise<string>;
  /**
   * Moves every table to another group on purpose (an online table move), for the move
   * nemesis; resolves with what each move said. Must not throw.
   */
  moveTables?(test: TestContext): Promise<string>;
  /** Remote paths of log files to copy into the store after the run, per node. */
  logFiles?(test: TestContext, node: string): string[];
  /**
   * After the run, faults healed: the database compares its own copies (minisql:
   * `verify`). Copies that differ make the run invalid. Must not throw: a check that
   * cannot run answers `equal: 'unknown'`.
   */
  verify?(test: TestContext): Promise<DatabaseVerification>;
}

/**
 * One worker's connection. `invoke` turns an invoke op into its completion: ok or fail
 * when the outcome is known, info when it is not (a timeout, a lost connection).
 * It must not throw for database errors; a throw is recorded as info.
 */
export interface Client {
  open(test: TestContext, node: string): Promise<void>;
  /** Prepares shared state once (tables, keys) before any op runs. */
  setup?(test: TestContext): Promise<void>;
  invoke(test: TestContext, op: Op): Promise<Op>;
  close(test: TestContext): Promise<void>;
}
