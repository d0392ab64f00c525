/**
 * The test configuration: pyjepsen's config.yaml (concurrency, server, database, nemesis,
 * checker) plus keys of our own, every one optional with a documented default. A pyjepsen
 * file loads unchanged. Command-line flags override the file (see main.ts).
 * `parseTestConfig` checks every field and names the one that is wrong.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { JepsenError } from './jepsen-errors.js';

/**
 * A fault. `kill:<process>` and `pause:<process>` hit only the adapter's process of that
 * name (minisql: `kill:master`, `kill:etcd`), with ops of their own (`kill-master` /
 * `start-master`), so one run can kill regions, masters and etcd members in turn.
 */
export type NemesisMode =
  'partition' | 'clock' | 'pause' | 'kill' | 'delay' | 'loss' | 'runaway' | 'switchover' | 'none' | `kill:${string}` | `pause:${string}`;
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
const NEMESIS_MODES: readonly NemesisMode[] = ['partition', 'clock', 'pause', 'kill', 'delay', 'loss', 'runaway', 'switchover', 'none'];
const MODELS: readonly ModelName[] = ['cas-register', 'register', 'mutex'];
const ALGORITHMS: readonly AlgorithmName[] = ['competition', 'wgl', 'linear'];
const WORKLOADS: readonly WorkloadName[] = ['cas-register', 'register', 'set', 'mutex'];
const TARGETS: readonly NodeTargets[] = ['one', 'minority', 'majority', 'all', 'primaries'];
const TOP_LEVEL_KEYS = new Set([
  'name',
  'concurrency',
  'remote',
  'hosts',
  'server',
  'database',
  'nemesis',
  'checker',
  'workload',
  'time_limit',
  'rate',
  'op_timeout_ms',
  'store',
  'seed',
  'leave_db_running',
]);
/** The keys of each section the tester reads (`database:` is the adapter's, free-form). */
const SECTION_KEYS: Record<'nemesis' | 'checker' | 'workload', ReadonlySet<string>> = {
  nemesis: new Set(['mode', 'partition_method', 'partition_action', 'step', 'interval', 'targets', 'processes', 'delay_ms', 'loss_percent']),
  checker: new Set(['models', 'model', 'algos', 'algorithm', 'time_limit']),
  workload: new Set(['name', 'threads_per_key', 'ops_per_key', 'values']),
};

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
  const root = objectAt(raw, 'the file', fail);
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail(key, `is not a known key (known: ${[...TOP_LEVEL_KEYS].join(', ')})`);
  }
  const servers = parseServers(root.server, baseDir, fail);
  const databaseRaw = root.database === undefined || root.database === null ? {} : objectAt(root.database, 'database', fail);
  const databaseType = databaseRaw.type === undefined ? 'etcd' : stringAt(databaseRaw.type, 'database.type', fail);
  const nemesisRaw = root.nemesis === undefined || root.nemesis === null ? {} : objectAt(root.nemesis, 'nemesis', fail);
  const checkerRaw = root.checker === undefined || root.checker === null ? {} : objectAt(root.checker, 'checker', fail);
  const workloadRaw = root.workload === undefined || root.workload === null ? {} : objectAt(root.workload, 'workload', fail);
  // A misspelt key would otherwise be ignored and its default used without a word.
  for (const [section, values] of [
    ['nemesis', nemesisRaw],
    ['checker', checkerRaw],
    ['workload', workloadRaw],
  ] as const) {
    const known = SECTION_KEYS[section];
    for (const key of Object.keys(values)) {
      if (!known.has(key)) fail(`${section}.${key}`, `is not a known key (known: ${[...known].join(', ')})`);
    }
  }
  const model = oneOf(normalize(checkerRaw.models ?? checkerRaw.model ?? 'cas-register'), MODELS, 'checker.models', fail);
  const remote = root.remote === undefined ? (servers.length > 0 ? 'ssh' : 'netns') : oneOf(root.remote, ['ssh', 'netns'] as const, 'remote', fail);
  if (remote === 'ssh' && servers.length === 0) fail('server', 'must list at least one node when remote is ssh');
  const concurrency = intAt(root.concurrency ?? 10, 'concurrency', 1, 1_000, fail);
  const itemField = (field: string, raw: unknown, i: number) => (Array.isArray(raw) ? `${field}[${i}]` : field);
  const modes = listOf(nemesisRaw.mode, 'none').map((mode, i) => nemesisModeAt(mode, itemField('nemesis.mode', nemesisRaw.mode, i), fail));
  const partitionMethods = listOf(nemesisRaw.partition_method, 'majority').map((method, i) =>
    oneOf(normalize(method), PARTITION_METHODS, itemField('nemesis.partition_method', nemesisRaw.partition_method, i), fail),
  );
  const partitionActions = listOf(nemesisRaw.partition_action, 'drop').map((action, i) =>
    oneOf(normalize(action), PARTITION_ACTIONS, itemField('nemesis.partition_action', nemesisRaw.partition_action, i), fail),
  );
  const workloadName = oneOf(workloadRaw.name ?? (model === 'mutex' ? 'mutex' : 'cas-register'), WORKLOADS, 'workload.name', fail);
  return {
    source,
    name: root.name === undefined ? databaseType : stringAt(root.name, 'name', fail),
    concurrency,
    remote,
    hostCount: intAt(root.hosts ?? 5, 'hosts', 1, 9, fail),
    servers,
    database: { ...databaseRaw, type: databaseType },
    nemesis: {
      mode: modes[0]!,
      modes,
      partitionMethod: partitionMethods[0]!,
      partitionMethods,
      partitionActions,
      clockStepSeconds: numberAt(nemesisRaw.step ?? 60, 'nemesis.step', -86_400, 86_400, fail),
      intervalSeconds: numberAt(nemesisRaw.interval ?? 5, 'nemesis.interval', 0.1, 3_600, fail),
      targets: oneOf(nemesisRaw.targets ?? 'one', TARGETS, 'nemesis.targets', fail),
      processes: processNames(nemesisRaw.processes, fail),
      delayMs: intAt(nemesisRaw.delay_ms ?? 50, 'nemesis.delay_ms', 1, 60_000, fail),
      lossPercent: numberAt(nemesisRaw.loss_percent ?? 20, 'nemesis.loss_percent', 0.1, 100, fail),
    },
    checker: {
      model,
      algorithm: oneOf(normalize(checkerRaw.algos ?? checkerRaw.algorithm ?? 'competition'), ALGORITHMS, 'checker.algos', fail),
      timeLimitSeconds: numberAt(checkerRaw.time_limit ?? 60, 'checker.time_limit', 0.1, 86_400, fail),
    },
    workload: {
      name: workloadName,
      threadsPerKey: Math.min(concurrency, intAt(workloadRaw.threads_per_key ?? concurrency, 'workload.threads_per_key', 1, 1_000, fail)),
      opsPerKey: intAt(workloadRaw.ops_per_key ?? 0, 'workload.ops_per_key', 0, 1_000_000, fail),
      valueCount: intAt(workloadRaw.values ?? 5, 'workload.values', 1, 1_000_000, fail),
    },
    timeLimitSeconds: numberAt(root.time_limit ?? 30, 'time_limit', 0.1, 7 * 86_400, fail),
    ratePerSecond: numberAt(root.rate ?? 10, 'rate', 0, 1_000_000, fail),
    opTimeoutMs: intAt(root.op_timeout_ms ?? 5_000, 'op_timeout_ms', 10, 600_000, fail),
    storeDir: resolve(root.store === undefined ? 'store' : stringAt(root.store, 'store', fail)),
    seed: root.seed === undefined ? Date.now() % 2 ** 31 : intAt(root.seed, 'seed', 0, 2 ** 31 - 1, fail),
    leaveDbRunning: root.leave_db_running === undefined ? false : booleanAt(root.leave_db_running, 'leave_db_running', fail),
  };
}

function parseServers(raw: unknown, baseDir: string, fail: (field: string, why: string) => never): SshServer[] {
  if (raw === undefined || raw === null) return [];
  const entries = objectAt(raw, 'server', fail);
  return Object.entries(entries).map(([name, value]) => {
    const field = `server.${name}`;
    const entry = objectAt(value, field, fail);
    const hostname = stringAt(entry.hostname, `${field}.hostname`, fail);
    if (hostname === '') fail(`${field}.hostname`, 'must not be empty');
    const username = entry.username === undefined || entry.username === '' ? 'root' : stringAt(entry.username, `${field}.username`, fail);
    const password = entry.password === undefined || entry.password === '' ? undefined : stringAt(entry.password, `${field}.password`, fail);
    const key = entry.private_key === undefined ? undefined : resolve(baseDir, stringAt(entry.private_key, `${field}.private_key`, fail));
    return {
      name,
      hostname,
      port: intAt(entry.port ?? 22, `${field}.port`, 1, 65_535, fail),
      username,
      ...(password === undefined ? {} : { password }),
      ...(key === undefined ? {} : { privateKeyPath: key }),
    };
  });
}

/** A value or a list of values; `fallback` when absent. */
function listOf(value: unknown, fallback: unknown): unknown[] {
  if (value === undefined) return [fallback];
  if (Array.isArray(value)) return value.length === 0 ? [fallback] : value;
  return [value];
}

/** pyjepsen writes `majorities_ring`, Jepsen `majorities-ring`; both are accepted. */
function normalize(value: unknown): unknown {
  return typeof value === 'string' ? value.trim().toLowerCase().replaceAll('_', '-') : value;
}

/** pyjepsen's "None" (or YAML null) means no nemesis. */
function nemesisMode(value: unknown): unknown {
  if (value === undefined || value === null) return 'none';
  const mode = normalize(value);
  return mode === 'none' || mode === 'noop' ? 'none' : mode;
}

/** The fault and the process of a `kill:<process>` or `pause:<process>` mode; undefined for any other. */
export function processMode(mode: string): { fault: 'kill' | 'pause'; process: string } | undefined {
  const qualified = /^(kill|pause):([a-z][a-z0-9-]*)$/.exec(mode);
  return qualified ? { fault: qualified[1] as 'kill' | 'pause', process: qualified[2]! } : undefined;
}

/** A plain mode, or kill/pause of one named process (`kill:etcd`). */
function nemesisModeAt(raw: unknown, field: string, fail: (field: string, why: string) => never): NemesisMode {
  const mode = nemesisMode(raw);
  const qualified = typeof mode === 'string' ? processMode(mode) : undefined;
  if (qualified) return `${qualified.fault}:${qualified.process}`;
  return oneOf(mode, NEMESIS_MODES, field, (name, why) => fail(name, `${why} (or kill:<process>, pause:<process>)`));
}

function objectAt(value: unknown, field: string, fail: (field: string, why: string) => never): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(field, 'must be a mapping');
  return value as Record<string, unknown>;
}

/** `nemesis.processes`: a name or a list of names; absent or empty means every process. */
function processNames(raw: unknown, fail: (field: string, why: string) => never): string[] {
  if (raw === undefined || raw === null) return [];
  const names = Array.isArray(raw) ? raw : [raw];
  return names.map((name, i) => {
    const field = Array.isArray(raw) ? `nemesis.processes[${i}]` : 'nemesis.processes';
    const text = stringAt(name, field, fail).trim();
    return text === '' ? fail(field, 'must name a process, not an empty string') : text;
  });
}

function stringAt(value: unknown, field: string, fail: (field: string, why: string) => never): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return fail(field, `must be a string, not ${JSON.stringify(value)}`);
  return value;
}

function booleanAt(value: unknown, field: string, fail: (field: string, why: string) => never): boolean {
  if (typeof value !== 'boolean') return fail(field, `must be true or false, not ${JSON.stringify(value)}`);
  return value;
}

function numberAt(value: unknown, field: string, min: number, max: number, fail: (field: string, why: string) => never): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) return fail(field, `must be a number, not ${JSON.stringify(value)}`);
  if (number < min || number > max) return fail(field, `must be between ${min} and ${max}, not ${number}`);
  return number;
}

function intAt(value: unknown, field: string, min: number, max: number, fail: (field: string, why: string) => never): number {
  const number = numberAt(value, field, min, max, fail);
  if (!Number.isInteger(number)) return fail(field, `must be a whole number, not ${number}`);
  return number;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, fail: (field: string, why: string) => never): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    return fail(field, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return value as T;
}
