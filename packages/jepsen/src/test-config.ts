/**
 * The test configuration: pyjepsen's config.yaml (concurrency, server, database, nemesis,
 * checker) plus keys of our own, every one optional with a documented default. A pyjepsen
 * file loads unchanged. Command-line flags override the file (see main.ts).
 * `parseTestConfig` checks the file against one zod schema (unknown keys refused at every
 * level but the adapter's own `database:` section) and names the field that is wrong.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issueField, shownValue, withoutNullFields } from '@minisql/common';
import { JepsenError } from './jepsen-errors.js';

/**
 * A fault. `kill:<process>` and `pause:<process>` hit only the adapter's process of that
 * name (minisql: `kill:master`, `kill:etcd`), with ops of their own (`kill-master` /
 * `start-master`), so one run can kill regions, masters and etcd members in turn.
 */
export type NemesisMode =
  'partition' | 'clock' | 'pause' | 'kill' | 'delay' | 'loss' | 'runaway' | 'switchover' | 'move' | 'none' | `kill:${string}` | `pause:${string}`;
export type PartitionMethod = 'one' | 'majority' | 'majorities-ring' | 'minority-third' | 'primaries' | 'halves' | 'bridge' | 'one-way';
export type PartitionAction = 'drop' | 'reject';
export type ModelName = 'cas-register' | 'register' | 'mutex';
export type AlgorithmName = 'competition' | 'wgl' | 'linear';
export type WorkloadName = 'cas-register' | 'register' | 'set' | 'mutex';
export type NodeTargets = 'one' | 'minority' | 'majority' | 'all' | 'primaries';

/** One node reached over SSH (pyjepsen's `server:` entries). */
export interface SshServer {
  name: string;
  hostname: string;
  port: number;
  username: string;
  password?: string;
  privateKeyPath?: string;
}

export interface TestConfig {
  /** Where the configuration came from, for messages. */
  source: string;
  /** The test's name, used in the store path (default: the database's type). */
  name: string;
  /** Client worker threads (pyjepsen: worker processes). Default 10. */
  concurrency: number;
  /**
   * How nodes are reached: `ssh` (the `server:` section) or `netns` (five namespace
   * hosts on this machine, created for the run and removed after). Default: ssh when
   * `server:` is given, netns otherwise.
   */
  remote: 'ssh' | 'netns';
  /** Number of namespace hosts (netns remote). Default 5. */
  hostCount: number;
  servers: SshServer[];
  /** The free-form `database:` section; `type` picks the adapter (default etcd). */
  database: Record<string, unknown> & { type: string };
  nemesis: {
    /** The first of `modes`, for code that knows one mode. */
    mode: NemesisMode;
    /**
     * The faults, taken in turn (pyjepsen's `mode`, or a list of modes): each is injected
     * for `intervalSeconds`, healed, and after another interval the next one follows.
     */
    modes: NemesisMode[];
    /**
     * How partitions cut links (`partition_action`, one or a list): `drop` (silence) and
     * `reject` (TCP reset: a refused connection). Every shape runs with every action in
     * turn. Default drop.
     */
    partitionActions: PartitionAction[];
    /** The first of `partitionMethods`. */
    partitionMethod: PartitionMethod;
    /** Partition shapes, taken in turn by each partition fault (`partition_method`, or a list). */
    partitionMethods: PartitionMethod[];
    /** Clock mode: seconds to shift a clock by. Default 60. */
    clockStepSeconds: number;
    /** Seconds between a fault and its heal, and between a heal and the next fault. Default 5. */
    intervalSeconds: number;
    /** Which nodes kill and pause act on. Default `one`. */
    targets: NodeTargets;
    /**
     * Which of a node's processes kill and pause act on (`nemesis.processes`, names the
     * database adapter knows, e.g. minisql's `region`); empty: all of them, a node crash.
     */
    processes: string[];
    /** delay mode: added latency in milliseconds. Default 50. */
    delayMs: number;
    /** loss mode: percentage of packets dropped. Default 20. */
    lossPercent: number;
  };
  checker: {
    model: ModelName;
    algorithm: AlgorithmName;
    /** Give up (result unknown) after this long. Default 60 s. */
    timeLimitSeconds: number;
  };
  workload: {
    name: WorkloadName;
    /**
     * Client threads that work one key together (Jepsen's independent keys): the threads
     * form concurrency / threadsPerKey groups, each on its own key. Default: all of them.
     */
    threadsPerKey: number;
    /**
     * Operations on one key before its group moves to a fresh key; 0 keeps one key for
     * the whole test, as the seed does. Rotating keys keeps each key's history short,
     * which keeps checking fast when crashed operations pile up. Default 0.
     */
    opsPerKey: number;
    /**
     * Crashed (info) operations on one key before its group moves to a fresh key, when
     * keys rotate (threadsPerKey or opsPerKey set); 0 for no bound. Each crashed op stays
     * open to the end of the history, and the checker's work grows exponentially with the
     * open ops of distinct kinds: a partition that times out dozens of writes on one key
     * can make that key uncheckable. Default 8.
     */
    crashesPerKey: number;
    /** Register values are drawn from 1..valueCount. Default 5, as in the seed. */
    valueCount: number;
  };
  /** Seconds of client operations. Default 30, as in the seed. */
  timeLimitSeconds: number;
  /** Client operations started per second across all threads; 0 for as fast as possible. Default 10. */
  ratePerSecond: number;
  /** An operation with no answer after this long is recorded as crashed (info). Default 5000. */
  opTimeoutMs: number;
  /** Where results go: `<store>/<name>/<time>/`. Default `store`, relative to the working directory. */
  storeDir: string;
  /** Seed of every random choice (ops, targets, partitions). Default: time-based. */
  seed: number;
  /** Leave the database running after the test (for inspection). Default false. */
  leaveDbRunning: boolean;
}

export class TestConfigError extends JepsenError<'INVALID_TEST_CONFIG'> {
  constructor(
    readonly source: string,
    readonly field: string,
    why: string,
  ) {
    super('INVALID_TEST_CONFIG', `invalid test configuration in ${source}: ${field} ${why}`);
    this.name = 'TestConfigError';
  }
}

const PARTITION_METHODS: readonly PartitionMethod[] = ['one', 'majority', 'majorities-ring', 'minority-third', 'primaries', 'halves', 'bridge', 'one-way'];
const PARTITION_ACTIONS: readonly PartitionAction[] = ['drop', 'reject'];
const NEMESIS_MODES: readonly NemesisMode[] = ['partition', 'clock', 'pause', 'kill', 'delay', 'loss', 'runaway', 'switchover', 'move', 'none'];
const MODELS: readonly ModelName[] = ['cas-register', 'register', 'mutex'];
const ALGORITHMS: readonly AlgorithmName[] = ['competition', 'wgl', 'linear'];
const WORKLOADS: readonly WorkloadName[] = ['cas-register', 'register', 'set', 'mutex'];
const TARGETS: readonly NodeTargets[] = ['one', 'minority', 'majority', 'all', 'primaries'];
/** pyjepsen writes `majorities_ring`, Jepsen `majorities-ring`; both are accepted. */
function normalize(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase().replaceAll('_', '-') : value;
}

/** pyjepsen's files write numbers as strings at times ("5"); both are numbers here. */
const numeric = (value: unknown): unknown => (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value);
const number = (min: number, max: number, whole = false) =>
  z.preprocess(
    numeric,
    z
      .number({ error: (issue) => `must be a number, not ${shownValue(issue.input)}` })
      .refine(Number.isFinite, { error: (issue) => `must be a number, not ${shownValue(issue.input)}` })
      .refine((n) => n >= min && n <= max, { error: (issue) => `must be between ${min} and ${max}, not ${shownValue(issue.input)}` })
      .refine((n) => !whole || Number.isInteger(n), { error: (issue) => `must be a whole number, not ${shownValue(issue.input)}` }),
  );
/** A string; a number is taken as its text (a node named 1). */
const text = () =>
  z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : value),
    z.string({ error: (issue) => `must be a string, not ${shownValue(issue.input)}` }),
  );
const oneOf = <T extends string>(allowed: readonly T[]): z.ZodType<T> =>
  z.preprocess(
    normalize,
    z.string().refine((value): value is T => allowed.includes(value as T), {
      error: (issue) => `must be one of ${allowed.join(', ')}, not ${shownValue(issue.input)}`,
    }),
  );
/** One value or a list of them (pyjepsen writes either). */
const oneOrMore = <T extends z.ZodType>(item: T) => z.union([z.array(item), item]);
/** pyjepsen's "None" (or YAML null) means no nemesis; `kill:<process>` and `pause:<process>` name one process. */
const NEMESIS_MODE = z.preprocess(
  (value) => {
    if (value === undefined || value === null) return 'none';
    const mode = normalize(value);
    return mode === 'noop' ? 'none' : mode;
  },
  z.string().refine((mode) => NEMESIS_MODES.includes(mode as NemesisMode) || processMode(mode) !== undefined, {
    error: (issue) => `must be one of ${NEMESIS_MODES.join(', ')}, not ${shownValue(issue.input)} (or kill:<process>, pause:<process>)`,
  }),
);
/** A mapping with these keys and no other: a misspelt key would otherwise be ignored and its default used without a word. */
const keys = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.preprocess(
    // A section or key written with no value (YAML null) means its default, as in pyjepsen.
    (value) => (value === null ? {} : withoutNullFields(value)),
    z.strictObject(shape, {
      error: (issue) => (issue.code === 'unrecognized_keys' ? `is not a known key (known: ${Object.keys(shape).join(', ')})` : 'must be a mapping'),
    }),
  );
const PROCESS_NAME = text().refine((name) => name.trim() !== '', { error: 'must name a process, not an empty string' });

/** The file as written, every key; pyjepsen's spellings and shapes are taken as they come. */
const TEST_FILE = keys({
  name: text().optional(),
  concurrency: number(1, 1_000, true).optional(),
  remote: z.enum(['ssh', 'netns'], { error: (issue) => `must be one of ssh, netns, not ${shownValue(issue.input)}` }).optional(),
  hosts: number(1, 9, true).optional(),
  server: z
    .preprocess(
      (value) => (value === null ? undefined : value),
      z.record(
        z.string(),
        keys({
          hostname: text().refine((hostname) => hostname !== '', { error: 'must not be empty' }),
          port: number(1, 65_535, true).optional(),
          username: text().optional(),
          password: text().optional(),
          private_key: text().optional(),
        }),
        { error: 'must be a mapping' },
      ),
    )
    .optional(),
  // The adapter's own section: `type` picks it, the adapter checks the rest (etcdOptions, minisqlOptions).
  database: z.preprocess((value) => (value === null ? {} : value), z.looseObject({ type: text().optional() }, { error: 'must be a mapping' })).optional(),
  nemesis: keys({
    mode: z.union([z.array(NEMESIS_MODE), NEMESIS_MODE]).optional(),
    partition_method: oneOrMore(oneOf(PARTITION_METHODS)).optional(),
    partition_action: oneOrMore(oneOf(PARTITION_ACTIONS)).optional(),
    step: number(-86_400, 86_400).optional(),
    interval: number(0.1, 3_600).optional(),
    targets: oneOf(TARGETS).optional(),
    processes: z.preprocess((value) => (value === null ? undefined : value), oneOrMore(PROCESS_NAME).optional()),
    delay_ms: number(1, 60_000, true).optional(),
    loss_percent: number(0.1, 100).optional(),
  }).optional(),
  checker: keys({
    models: oneOf(MODELS).optional(),
    model: oneOf(MODELS).optional(),
    algos: oneOf(ALGORITHMS).optional(),
    algorithm: oneOf(ALGORITHMS).optional(),
    time_limit: number(0.1, 86_400).optional(),
  }).optional(),
  workload: keys({
    name: oneOf(WORKLOADS).optional(),
    threads_per_key: number(1, 1_000, true).optional(),
    ops_per_key: number(0, 1_000_000, true).optional(),
    crashes_per_key: number(0, 1_000_000, true).optional(),
    values: number(1, 1_000_000, true).optional(),
  }).optional(),
  time_limit: number(0.1, 7 * 86_400).optional(),
  rate: number(0, 1_000_000).optional(),
  op_timeout_ms: number(10, 600_000, true).optional(),
  store: text().optional(),
  seed: number(0, 2 ** 31 - 1, true).optional(),
  leave_db_running: z.boolean({ error: (issue) => `must be true or false, not ${shownValue(issue.input)}` }).optional(),
});

/**
 * The issue to report: for a value that may be one or a list (a union), the branch that
 * got furthest into it (a list's bad item), else the single value's own complaint.
 */
function innermost(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first && (!best || first.path.length >= best.path.length)) best = first;
  }
  return best ? innermost({ ...best, path: [...issue.path, ...best.path] }) : issue;
}

export function loadTestConfig(path: string): TestConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TestConfigError(path, 'file', `cannot be read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TestConfigError(path, 'file', `is not valid YAML: ${(error as Error).message}`);
  }
  return parseTestConfig(raw ?? {}, path, dirname(resolve(path)));
}

/** Checks a parsed configuration; relative key paths are resolved against `baseDir`. */
export function parseTestConfig(raw: unknown, source: string, baseDir = process.cwd()): TestConfig {
  const fail = (field: string, why: string): never => {
    throw new TestConfigError(source, field, why);
  };
  const parsed = TEST_FILE.safeParse(raw);
  if (!parsed.success) {
    const issue = innermost(parsed.error.issues[0] as z.core.$ZodIssue);
    return fail(issueField(issue, 'the file'), issue.message);
  }
  const file = parsed.data;
  const servers = Object.entries(file.server ?? {}).map(([name, entry]): SshServer => ({
    name,
    hostname: entry.hostname,
    port: entry.port ?? 22,
    username: entry.username === undefined || entry.username === '' ? 'root' : entry.username,
    ...(entry.password === undefined || entry.password === '' ? {} : { password: entry.password }),
    ...(entry.private_key === undefined ? {} : { privateKeyPath: resolve(baseDir, entry.private_key) }),
  }));
  const databaseRaw = (file.database ?? {}) as Record<string, unknown>;
  const databaseType = file.database?.type ?? 'etcd';
  const nemesis = file.nemesis ?? {};
  const checker = file.checker ?? {};
  const workload = file.workload ?? {};
  const model = checker.models ?? checker.model ?? 'cas-register';
  const remote = file.remote ?? (servers.length > 0 ? 'ssh' : 'netns');
  if (remote === 'ssh' && servers.length === 0) fail('server', 'must list at least one node when remote is ssh');
  const concurrency = file.concurrency ?? 10;
  const listOf = <T>(value: T | T[] | undefined, fallback: T): T[] =>
    value === undefined ? [fallback] : Array.isArray(value) ? (value.length === 0 ? [fallback] : value) : [value];
  const modes = listOf(nemesis.mode, 'none') as NemesisMode[];
  const partitionMethods = listOf<PartitionMethod>(nemesis.partition_method, 'majority');
  const processes =
    nemesis.processes === undefined ? [] : (Array.isArray(nemesis.processes) ? nemesis.processes : [nemesis.processes]).map((name) => name.trim());
  return {
    source,
    name: file.name ?? databaseType,
    concurrency,
    remote,
    hostCount: file.hosts ?? 5,
    servers,
    database: { ...databaseRaw, type: databaseType },
    nemesis: {
      mode: modes[0]!,
      modes,
      partitionMethod: partitionMethods[0]!,
      partitionMethods,
      partitionActions: listOf<PartitionAction>(nemesis.partition_action, 'drop'),
      clockStepSeconds: nemesis.step ?? 60,
      intervalSeconds: nemesis.interval ?? 5,
      targets: nemesis.targets ?? 'one',
      processes,
      delayMs: nemesis.delay_ms ?? 50,
      lossPercent: nemesis.loss_percent ?? 20,
    },
    checker: {
      model,
      algorithm: checker.algos ?? checker.algorithm ?? 'competition',
      timeLimitSeconds: checker.time_limit ?? 60,
    },
    workload: {
      name: workload.name ?? (model === 'mutex' ? 'mutex' : 'cas-register'),
      threadsPerKey: Math.min(concurrency, workload.threads_per_key ?? concurrency),
      opsPerKey: workload.ops_per_key ?? 0,
      crashesPerKey: workload.crashes_per_key ?? 8,
      valueCount: workload.values ?? 5,
    },
    timeLimitSeconds: file.time_limit ?? 30,
    ratePerSecond: file.rate ?? 10,
    opTimeoutMs: file.op_timeout_ms ?? 5_000,
    storeDir: resolve(file.store ?? 'store'),
    seed: file.seed ?? Date.now() % 2 ** 31,
    leaveDbRunning: file.leave_db_running ?? false,
  };
}

/** The fault and the process of a `kill:<process>` or `pause:<process>` mode; undefined for any other. */
export function processMode(mode: string): { fault: 'kill' | 'pause'; process: string } | undefined {
  const qualified = /^(kill|pause):([a-z][a-z0-9-]*)$/.exec(mode);
  return qualified ? { fault: qualified[1] as 'kill' | 'pause', process: qualified[2]! } : undefined;
}
