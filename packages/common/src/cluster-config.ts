/**
 * The cluster configuration file (YAML), read by every process. It lists the hosts and
 * their roles; THIS_NAME picks the local host. Every field, its unit and its default is
 * documented in docs/config.md; `parseClusterConfig` checks them all against one zod
 * schema (unknown fields refused at every level) and names the field that is wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issueField, shownValue, withoutNullFields } from './config-schema.js';
import { errors, MiniSqlError } from './errors.js';

export type HostRole = 'etcd' | 'master' | 'region';

export interface HostPorts {
  /** MasterService gRPC. */
  master: number;
  /** RegionService gRPC. */
  region: number;
  /** The region's FTP server of table snapshots. */
  ftp: number;
  /** The master's HTTP status page. */
  status: number;
  /** A region's HTTP(S) endpoint: /metrics, /health, /primary/TABLE. */
  metrics: number;
  /** etcd client and peer ports. */
  etcdClient: number;
  etcdPeer: number;
}

export interface HostConfig {
  name: string;
  ip: string;
  roles: HostRole[];
  ports: HostPorts;
}

export interface ClusterConfig {
  /** Where the configuration came from, for messages. */
  source: string;
  /** Prefix of every minisql key in etcd. */
  etcdPrefix: string;
  /** etcd client URLs; by default those of every host with the etcd role. */
  etcdEndpoints: string[];
  /** Time-to-live of region and master leases, in seconds (etcd counts whole seconds). */
  leaseTtlSeconds: number;
  /** Members per replica group (primary included). */
  replicationFactor: number;
  /** Whether the master moves tables to a group as it forms, until the groups hold about as many (default true). */
  rebalanceOnGroupFormed: boolean;
  /**
   * When true, a primary whose replicas are all gone refuses writes instead of serving
   * alone (which keeps the cluster available but leaves one copy of new writes).
   */
  strictReplication: boolean;
  /**
   * What a region's acknowledgement survives. durable (the default): SQLite syncs every
   * commit (synchronous = FULL), so an acknowledged write is on the disk of every member
   * that acknowledged it and survives the power failing on all of them together. fast
   * (synchronous = NORMAL): fewer syncs, and an acknowledged write survives a crash of
   * the process but not a power loss of every member together.
   */
  durability: Durability;
  /** Longest a select may run on a region, in milliseconds; past it the region answers TIMEOUT. */
  statementTimeoutMs: number;
  /** Query worker processes per region for selects that may run long (0: none, every select on the region's thread). */
  queryWorkers: number;
  /** Rows one select returns at most; more are cut and the result marked truncated. */
  resultRowsMax: number;
  /** Bytes one result may hold; a select that would build more fails with LIMIT_EXCEEDED. */
  resultBytesMax: number;
  /**
   * Writes each table's log keeps (for retries answered from the log and replicas that
   * catch up from it); a copy in flight keeps more, for as long as it needs them.
   */
  replicationLogEntries: number;
  /** SQLite heap one select in a query worker may use, in bytes; past it LIMIT_EXCEEDED. */
  queryMemoryBytesMax: number;
  /**
   * Mutual TLS on every gRPC channel and FTP over TLS, each process presenting its host's
   * certificate from certsDir (default true; false is for a trusted network only: then
   * nobody is authenticated).
   */
  tls: boolean;
  /** Where the certificates are: ca.crt, and <host>.crt/.key per host (`minisql-cluster certs`); default <dataDir>/certs. */
  certsDir: string;
  /** A file holding the token the status page and /metrics ask for (none: they answer anyone who reaches them). */
  statusTokenFile: string | undefined;
  /** Passive FTP data ports, inclusive range. */
  ftpPassivePortMin: number;
  ftpPassivePortMax: number;
  /** Directory under which each process keeps its data, in a folder named after its host. */
  dataDir: string;
  hosts: HostConfig[];
}

export type Durability = 'durable' | 'fast';
const DURABILITIES: readonly Durability[] = ['durable', 'fast'];

export const CONFIG_DEFAULTS = Object.freeze({
  durability: 'durable',
  statementTimeoutMs: 60_000,
  queryWorkers: 2,
  resultRowsMax: 100_000,
  resultBytesMax: 64 * 1024 * 1024,
  replicationLogEntries: 50_000,
  queryMemoryBytesMax: 256 * 1024 * 1024,
  etcdPrefix: '/minisql/',
  leaseTtlSeconds: 2,
  replicationFactor: 2,
  ftpPassivePortMin: 30_000,
  ftpPassivePortMax: 30_099,
  dataDir: 'data',
  ports: Object.freeze({ master: 7000, region: 7001, ftp: 7021, status: 8080, metrics: 7090, etcdClient: 2379, etcdPeer: 2380 }),
});

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ROLES: readonly HostRole[] = ['etcd', 'master', 'region'];
const PORT_NAMES = Object.keys(CONFIG_DEFAULTS.ports) as Array<keyof HostPorts>;

/** Reads and checks a configuration file. Throws INVALID_CONFIG naming the file and field. */
export function loadClusterConfig(path: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw errors.invalidConfig(path, 'the file', `cannot be read: ${(error as Error).message}`);
  }
  return parseClusterConfig(text, path);
}

/** Messages that show what was given. */
const wholeNumber = (min: number, max: number) => {
  const error = (issue: { input?: unknown }) => `must be a whole number from ${min} to ${max}, got ${shownValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const text = () => z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });
const yesNo = () => z.boolean({ error: (issue) => `must be true or false, got ${shownValue(issue.input)}` });
/**
 * A mapping with these fields and no other, at every level: a misspelt field must not
 * fall back to its default silently. `unknown` words the refusal of another key.
 */
const fields = <Shape extends z.ZodRawShape>(shape: Shape, unknown = `is not a known field (known: ${Object.keys(shape).join(', ')})`) =>
  z.preprocess(withoutNullFields, z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? unknown : 'must be a mapping of fields') }));

const PORTS = fields(
  Object.fromEntries(PORT_NAMES.map((name) => [name, wholeNumber(1, 65_535).optional()])) as Record<keyof HostPorts, z.ZodOptional<z.ZodNumber>>,
  `is not a port name (names: ${PORT_NAMES.join(', ')})`,
);

/** The file as written: every field, its type and range; defaults and cross-field checks come after. */
const CONFIG_FILE = fields({
  etcd: fields({ endpoints: z.array(text(), { error: 'must be a list' }).optional(), prefix: text().optional() }).optional(),
  leaseTtlSeconds: wholeNumber(1, 60).optional(),
  replicationFactor: wholeNumber(1, 9).optional(),
  rebalanceOnGroupFormed: yesNo().optional(),
  strictReplication: yesNo().optional(),
  durability: z.enum(DURABILITIES, { error: (issue) => `must be ${DURABILITIES.join(' or ')}, got ${shownValue(issue.input)}` }).optional(),
  statementTimeoutMs: wholeNumber(100, 86_400_000).optional(),
  queryWorkers: wholeNumber(0, 64).optional(),
  resultRowsMax: wholeNumber(1, 10_000_000).optional(),
  // A result travels in one gRPC message, and those stop at 256 MiB.
  resultBytesMax: wholeNumber(1_024, 200 * 1024 * 1024).optional(),
  replicationLogEntries: wholeNumber(1_000, 10_000_000).optional(),
  queryMemoryBytesMax: wholeNumber(1024 * 1024, 64 * 1024 * 1024 * 1024).optional(),
  ftp: fields({ passivePortMin: wholeNumber(1024, 65_535).optional(), passivePortMax: wholeNumber(1024, 65_535).optional() }).optional(),
  ports: PORTS.optional(),
  dataDir: text().optional(),
  tls: yesNo().optional(),
  certsDir: text().optional(),
  statusTokenFile: text().optional(),
  hosts: z
    .array(
      fields({
        name: text().regex(HOST_NAME, { error: (issue) => `${shownValue(issue.input)} must be letters, digits, - and _ (at most 63)` }),
        ip: text().regex(IPV4, { error: (issue) => `${shownValue(issue.input)} is not an IPv4 address` }),
        roles: z
          .array(z.enum(ROLES, { error: (issue) => `${shownValue(issue.input)} is not one of ${ROLES.join(', ')}` }), {
            error: `must list one or more of ${ROLES.join(', ')}`,
          })
          .min(1, { error: `must list one or more of ${ROLES.join(', ')}` }),
        ports: PORTS.optional(),
      }),
      { error: 'must be a non-empty list of hosts' },
    )
    .min(1, { error: 'must be a non-empty list of hosts' }),
});

export function parseClusterConfig(text: string, source: string): ClusterConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw errors.invalidConfig(source, 'the file', `is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const fail = (field: string, why: string): never => {
    throw errors.invalidConfig(source, field, why);
  };
  const ftpRaw = (raw as { ftp?: Record<string, unknown> } | null)?.ftp;
  for (const retired of ['user', 'password']) {
    if (ftpRaw !== null && typeof ftpRaw === 'object' && ftpRaw[retired] !== undefined) {
      fail(`ftp.${retired}`, 'is no longer used: each table copy gets its own one-time FTP login over TLS (remove the field)');
    }
  }
  const parsed = CONFIG_FILE.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    return fail(issueField(issue, 'the top level'), issue.message);
  }
  const file = parsed.data;
  const defaultPorts = { ...CONFIG_DEFAULTS.ports, ...file.ports };
  const hosts = file.hosts.map((host): HostConfig => ({ name: host.name, ip: host.ip, roles: host.roles, ports: { ...defaultPorts, ...host.ports } }));
  const seen = new Set<string>();
  hosts.forEach((host, index) => {
    if (seen.has(host.name)) fail(`hosts[${index}].name`, `"${host.name}" is used by two hosts`);
    seen.add(host.name);
  });
  const tls = file.tls ?? true;
  const endpoints =
    file.etcd?.endpoints ?? hosts.filter((h) => h.roles.includes('etcd')).map((h) => `${tls ? 'https' : 'http'}://${h.ip}:${h.ports.etcdClient}`);
  if (endpoints.length === 0) fail('etcd.endpoints', 'is empty: give endpoints or give some host the etcd role');
  const ftpPassivePortMin = file.ftp?.passivePortMin ?? CONFIG_DEFAULTS.ftpPassivePortMin;
  const ftpPassivePortMax = file.ftp?.passivePortMax ?? CONFIG_DEFAULTS.ftpPassivePortMax;
  if (ftpPassivePortMax < ftpPassivePortMin) fail('ftp.passivePortMax', `must be a whole number from ${ftpPassivePortMin} to 65535, got ${ftpPassivePortMax}`);
  const prefix = file.etcd?.prefix ?? CONFIG_DEFAULTS.etcdPrefix;
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) fail('etcd.prefix', `"${prefix}" must start and end with /`);
  const dataDir = file.dataDir ?? CONFIG_DEFAULTS.dataDir;
  return Object.freeze({
    source,
    etcdPrefix: prefix,
    etcdEndpoints: endpoints,
    leaseTtlSeconds: file.leaseTtlSeconds ?? CONFIG_DEFAULTS.leaseTtlSeconds,
    replicationFactor: file.replicationFactor ?? CONFIG_DEFAULTS.replicationFactor,
    rebalanceOnGroupFormed: file.rebalanceOnGroupFormed ?? true,
    strictReplication: file.strictReplication ?? false,
    durability: file.durability ?? CONFIG_DEFAULTS.durability,
    statementTimeoutMs: file.statementTimeoutMs ?? CONFIG_DEFAULTS.statementTimeoutMs,
    queryWorkers: file.queryWorkers ?? CONFIG_DEFAULTS.queryWorkers,
    resultRowsMax: file.resultRowsMax ?? CONFIG_DEFAULTS.resultRowsMax,
    resultBytesMax: file.resultBytesMax ?? CONFIG_DEFAULTS.resultBytesMax,
    replicationLogEntries: file.replicationLogEntries ?? CONFIG_DEFAULTS.replicationLogEntries,
    queryMemoryBytesMax: file.queryMemoryBytesMax ?? CONFIG_DEFAULTS.queryMemoryBytesMax,
    tls,
    certsDir: file.certsDir ?? join(dataDir, 'certs'),
    statusTokenFile: file.statusTokenFile,
    ftpPassivePortMin,
    ftpPassivePortMax,
    dataDir,
    hosts,
  });
}

/** The host named `name` (THIS_NAME), or an INVALID_CONFIG error listing the names. */
export function findHost(config: ClusterConfig, name: string | undefined, role: HostRole): HostConfig {
  if (name === undefined || name === '') {
    throw errors.invalidConfig(config.source, 'THIS_NAME', `is not set; set it to one of: ${config.hosts.map((h) => h.name).join(', ')}`);
  }
  const host = config.hosts.find((h) => h.name === name);
  if (!host)
    throw errors.invalidConfig(config.source, 'THIS_NAME', `"${name}" is not a host of the file (hosts: ${config.hosts.map((h) => h.name).join(', ')})`);
  if (!host.roles.includes(role)) throw errors.invalidConfig(config.source, `host ${name}`, `does not have the ${role} role (roles: ${host.roles.join(', ')})`);
  return host;
}

/** Addresses of the masters, in file order: clients try them in turn. */
export function masterAddresses(config: ClusterConfig): string[] {
  return config.hosts.filter((h) => h.roles.includes('master')).map((h) => `${h.ip}:${h.ports.master}`);
}

export function isConfigError(error: unknown): error is MiniSqlError {
  return error instanceof MiniSqlError && error.code === 'INVALID_CONFIG';
}
