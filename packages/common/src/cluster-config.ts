/**
 * The cluster configuration file (YAML), read by every process. It lists the hosts and
 * their roles; THIS_NAME picks the local host. Every field, its unit and its default is
 * documented in docs/config.md; `parseClusterConfig` checks them all and names the field
 * that is wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  const root = objectAt(raw, 'the top level', fail);
  refuseUnknown(
    root,
    '',
    [
      'etcd',
      'leaseTtlSeconds',
      'replicationFactor',
      'strictReplication',
      'durability',
      'statementTimeoutMs',
      'queryWorkers',
      'resultRowsMax',
      'resultBytesMax',
      'replicationLogEntries',
      'queryMemoryBytesMax',
      'ftp',
      'ports',
      'dataDir',
      'tls',
      'certsDir',
      'statusTokenFile',
      'hosts',
    ],
    fail,
  );

  const etcd = root.etcd === undefined ? {} : objectAt(root.etcd, 'etcd', fail);
  refuseUnknown(etcd, 'etcd.', ['endpoints', 'prefix'], fail);
  const ftp = root.ftp === undefined ? {} : objectAt(root.ftp, 'ftp', fail);
  for (const retired of ['user', 'password']) {
    if (ftp[retired] !== undefined) fail(`ftp.${retired}`, 'is no longer used: each table copy gets its own one-time FTP login over TLS (remove the field)');
  }
  refuseUnknown(ftp, 'ftp.', ['passivePortMin', 'passivePortMax'], fail);
  const defaultPorts = { ...CONFIG_DEFAULTS.ports, ...portsAt(root.ports, 'ports', fail) };

  const hostsRaw = root.hosts;
  if (!Array.isArray(hostsRaw) || hostsRaw.length === 0) fail('hosts', 'must be a non-empty list of hosts');
  const hosts = (hostsRaw as unknown[]).map((entry, index): HostConfig => {
    const field = `hosts[${index}]`;
    const host = objectAt(entry, field, fail);
    refuseUnknown(host, `${field}.`, ['name', 'ip', 'roles', 'ports'], fail);
    const name = stringAt(host.name, `${field}.name`, fail);
    if (!HOST_NAME.test(name)) fail(`${field}.name`, `"${name}" must be letters, digits, - and _ (at most 63)`);
    const ip = stringAt(host.ip, `${field}.ip`, fail);
    if (!IPV4.test(ip)) fail(`${field}.ip`, `"${ip}" is not an IPv4 address`);
    if (!Array.isArray(host.roles) || host.roles.length === 0) fail(`${field}.roles`, `must list one or more of ${ROLES.join(', ')}`);
    const roles = (host.roles as unknown[]).map((role, i) => {
      if (!ROLES.includes(role as HostRole)) fail(`${field}.roles[${i}]`, `"${String(role)}" is not one of ${ROLES.join(', ')}`);
      return role as HostRole;
    });
    return { name, ip, roles, ports: { ...defaultPorts, ...portsAt(host.ports, `${field}.ports`, fail) } };
  });
  const seen = new Set<string>();
  hosts.forEach((host, index) => {
    if (seen.has(host.name)) fail(`hosts[${index}].name`, `"${host.name}" is used by two hosts`);
    seen.add(host.name);
  });
  const tls = root.tls ?? true;
  if (typeof tls !== 'boolean') fail('tls', `must be true or false, got ${JSON.stringify(tls)}`);
  const endpoints: string[] =
    etcd.endpoints === undefined
      ? hosts.filter((h) => h.roles.includes('etcd')).map((h) => `${tls === false ? 'http' : 'https'}://${h.ip}:${h.ports.etcdClient}`)
      : listOfStrings(etcd.endpoints, 'etcd.endpoints', fail);
  if (endpoints.length === 0) fail('etcd.endpoints', 'is empty: give endpoints or give some host the etcd role');
  const leaseTtlSeconds = integerAt(root.leaseTtlSeconds ?? CONFIG_DEFAULTS.leaseTtlSeconds, 'leaseTtlSeconds', 1, 60, fail);
  const replicationFactor = integerAt(root.replicationFactor ?? CONFIG_DEFAULTS.replicationFactor, 'replicationFactor', 1, 9, fail);
  const strictReplication = root.strictReplication ?? false;
  if (typeof strictReplication !== 'boolean') fail('strictReplication', `must be true or false, got ${JSON.stringify(strictReplication)}`);
  const durability = root.durability ?? CONFIG_DEFAULTS.durability;
  if (!DURABILITIES.includes(durability as Durability)) fail('durability', `must be ${DURABILITIES.join(' or ')}, got ${JSON.stringify(durability)}`);
  const statementTimeoutMs = integerAt(root.statementTimeoutMs ?? CONFIG_DEFAULTS.statementTimeoutMs, 'statementTimeoutMs', 100, 86_400_000, fail);
  const queryWorkers = integerAt(root.queryWorkers ?? CONFIG_DEFAULTS.queryWorkers, 'queryWorkers', 0, 64, fail);
  const resultRowsMax = integerAt(root.resultRowsMax ?? CONFIG_DEFAULTS.resultRowsMax, 'resultRowsMax', 1, 10_000_000, fail);
  // A result travels in one gRPC message, and those stop at 256 MiB.
  const resultBytesMax = integerAt(root.resultBytesMax ?? CONFIG_DEFAULTS.resultBytesMax, 'resultBytesMax', 1_024, 200 * 1024 * 1024, fail);
  const replicationLogEntries = integerAt(
    root.replicationLogEntries ?? CONFIG_DEFAULTS.replicationLogEntries,
    'replicationLogEntries',
    1_000,
    10_000_000,
    fail,
  );
  const queryMemoryBytesMax = integerAt(
    root.queryMemoryBytesMax ?? CONFIG_DEFAULTS.queryMemoryBytesMax,
    'queryMemoryBytesMax',
    1024 * 1024,
    64 * 1024 * 1024 * 1024,
    fail,
  );
  const dataDir = root.dataDir === undefined ? CONFIG_DEFAULTS.dataDir : stringAt(root.dataDir, 'dataDir', fail);
  const ftpPassivePortMin = integerAt(ftp.passivePortMin ?? CONFIG_DEFAULTS.ftpPassivePortMin, 'ftp.passivePortMin', 1024, 65_535, fail);
  const ftpPassivePortMax = integerAt(ftp.passivePortMax ?? CONFIG_DEFAULTS.ftpPassivePortMax, 'ftp.passivePortMax', ftpPassivePortMin, 65_535, fail);
  const prefix = etcd.prefix === undefined ? CONFIG_DEFAULTS.etcdPrefix : stringAt(etcd.prefix, 'etcd.prefix', fail);
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) fail('etcd.prefix', `"${prefix}" must start and end with /`);
  return Object.freeze({
    source,
    etcdPrefix: prefix,
    etcdEndpoints: endpoints,
    leaseTtlSeconds,
    replicationFactor,
    strictReplication: strictReplication as boolean,
    durability: durability as Durability,
    statementTimeoutMs,
    queryWorkers,
    resultRowsMax,
    resultBytesMax,
    replicationLogEntries,
    queryMemoryBytesMax,
    tls: tls as boolean,
    certsDir: root.certsDir === undefined ? join(dataDir, 'certs') : stringAt(root.certsDir, 'certsDir', fail),
    statusTokenFile: root.statusTokenFile === undefined ? undefined : stringAt(root.statusTokenFile, 'statusTokenFile', fail),
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

type Fail = (field: string, why: string) => never;

/** A misspelt field must not fall back to its default silently, at any level. */
function refuseUnknown(value: Record<string, unknown>, prefix: string, known: readonly string[], fail: Fail): void {
  for (const key of Object.keys(value)) if (!known.includes(key)) fail(`${prefix}${key}`, `is not a known field (known: ${known.join(', ')})`);
}

function objectAt(value: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(field, 'must be a mapping of fields');
  return value as Record<string, unknown>;
}

function stringAt(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || value === '') return fail(field, 'must be a non-empty string');
  return value;
}

function integerAt(value: unknown, field: string, min: number, max: number, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return fail(field, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function listOfStrings(value: unknown, field: string, fail: Fail): string[] {
  if (!Array.isArray(value)) return fail(field, 'must be a list');
  return value.map((item, i) => stringAt(item, `${field}[${i}]`, fail));
}

function portsAt(value: unknown, field: string, fail: Fail): Partial<HostPorts> {
  if (value === undefined) return {};
  const ports = objectAt(value, field, fail);
  const result: Partial<HostPorts> = {};
  for (const [key, port] of Object.entries(ports)) {
    if (!PORT_NAMES.includes(key as keyof HostPorts)) fail(`${field}.${key}`, `is not a port name (names: ${PORT_NAMES.join(', ')})`);
    result[key as keyof HostPorts] = integerAt(port, `${field}.${key}`, 1, 65_535, fail);
  }
  return result;
}
