#!/usr/bin/env node
/**
 * The region server process. The only place that reads flags and the environment.
 *   minisql-region --config minisql.yaml        (cluster: THIS_NAME picks the host)
 *   minisql-region [--listen host:port] [--data-dir DIR] [--id NAME]   (standalone)
 * Environment: THIS_NAME, THIS_IP, MINISQL_CONFIG, MINISQL_LOG_LEVEL.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import {
  etcdOptions,
  EtcdKeys,
  readSecretFile,
  retryUntilStarted,
  UserDirectory,
  findHost,
  loadClusterConfig,
  loadTlsIdentity,
  Logger,
  MiniSqlError,
  parseLogLevel,
  type ClusterConfig,
  type HostConfig,
  hideIpServerNameWarning,
} from '@minisql/common';
import { REGION_DEFAULTS, REGION_LISTEN_ADDRESS_DEFAULT, type RegionOptions } from './region-options.js';
import { GroupMembership } from './group-membership.js';
import { LeaseClock } from './lease-clock.js';
import { RegionRegistration } from './region-registration.js';
import { Replicator } from './replicator.js';
import { RegionServer } from './region-server.js';

hideIpServerNameWarning();

const USAGE = `usage: minisql-region [options]
  --config FILE        cluster configuration (or $MINISQL_CONFIG); THIS_NAME picks this host,
                       and the region registers in etcd
  --listen HOST:PORT   gRPC address (default: from the config, else $THIS_IP:7001, else ${REGION_LISTEN_ADDRESS_DEFAULT})
  --data-dir DIR       directory of the table files (default: <dataDir>/<name> from the config, else data/<id>)
  --id NAME            region name (default $THIS_NAME, else "region")
  --sync MODE          full (every write synced before it is acknowledged: survives a power loss)
                       or normal (survives a crash of the process only); default: full, or
                       normal when the configuration says durability: fast
  --page-cache-kib N   SQLite page cache per table file, in KiB (default ${REGION_DEFAULTS.pageCacheKiB})
  --statement-timeout-ms N  longest a select may run; past it the region stops it and answers
                       TIMEOUT (default: the configuration's statementTimeoutMs, else ${REGION_DEFAULTS.statementTimeoutMs})
  --query-workers N    worker processes for selects that may run long: scans, ranges, joins
                       (default: the configuration's queryWorkers, else ${REGION_DEFAULTS.queryWorkers}; 0 runs them
                       on the region's own thread, where no deadline can stop them)
  --etcd-endpoints URLS  comma-separated etcd client URLs instead of the configuration's
  -h, --help           show this help`;

interface Startup {
  options: RegionOptions;
  cluster?: { config: ClusterConfig; host: HostConfig };
}

function parseStartup(): Startup {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      id: { type: 'string' },
      sync: { type: 'string' },
      'page-cache-kib': { type: 'string' },
      'statement-timeout-ms': { type: 'string' },
      'query-workers': { type: 'string' },
      'etcd-endpoints': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sync = values.sync?.toUpperCase();
  if (sync !== undefined && sync !== 'NORMAL' && sync !== 'FULL') throw new Error(`--sync must be normal or full, got ${values.sync}`);
  const pageCacheKiB = Number(values['page-cache-kib'] ?? REGION_DEFAULTS.pageCacheKiB);
  if (!Number.isInteger(pageCacheKiB) || pageCacheKiB < 64)
    throw new Error(`--page-cache-kib must be an integer of at least 64, got ${values['page-cache-kib']}`);
  const statementTimeoutFlag = optionalInteger(values['statement-timeout-ms'], '--statement-timeout-ms', 100);
  const queryWorkersFlag = optionalInteger(values['query-workers'], '--query-workers', 0);
  const configPath = values.config ?? process.env.MINISQL_CONFIG;
  if (configPath !== undefined) {
    const loaded = loadClusterConfig(configPath);
    const endpoints = values['etcd-endpoints']
      ?.split(',')
      .map((url) => url.trim())
      .filter((url) => url !== '');
    const config = endpoints && endpoints.length > 0 ? { ...loaded, etcdEndpoints: endpoints } : loaded;
    const host = findHost(config, values.id ?? process.env.THIS_NAME, 'region');
    return {
      options: {
        ...REGION_DEFAULTS,
        regionId: host.name,
        listenAddress: values.listen ?? `${process.env.THIS_IP ?? host.ip}:${host.ports.region}`,
        dataDir: values['data-dir'] ?? join(config.dataDir, host.name),
        synchronous: sync ?? (config.durability === 'fast' ? 'NORMAL' : 'FULL'),
        pageCacheKiB,
        statementTimeoutMs: statementTimeoutFlag ?? config.statementTimeoutMs,
        queryWorkers: queryWorkersFlag ?? config.queryWorkers,
        resultRowsMax: config.resultRowsMax,
        resultBytesMax: config.resultBytesMax,
        logEntriesKept: config.replicationLogEntries,
        queryMemoryBytesMax: config.queryMemoryBytesMax,
        ...(config.tls ? { tls: loadTlsIdentity(config.certsDir, host.name) } : {}),
      },
      cluster: { config, host },
    };
  }
  const regionId = values.id ?? process.env.THIS_NAME ?? 'region';
  return {
    options: {
      ...REGION_DEFAULTS,
      regionId,
      listenAddress: values.listen ?? (process.env.THIS_IP ? `${process.env.THIS_IP}:7001` : REGION_LISTEN_ADDRESS_DEFAULT),
      dataDir: values['data-dir'] ?? join('data', regionId),
      synchronous: sync ?? REGION_DEFAULTS.synchronous,
      pageCacheKiB,
      statementTimeoutMs: statementTimeoutFlag ?? REGION_DEFAULTS.statementTimeoutMs,
      queryWorkers: queryWorkersFlag ?? REGION_DEFAULTS.queryWorkers,
    },
  };
}

function optionalInteger(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be an integer of at least ${min}, got ${text}`);
  return value;
}

/** How often a region still waiting for etcd at startup says so, in milliseconds. */
const ETCD_START_WARN_MS = 10_000;

async function main(): Promise<void> {
  let startup: Startup;
  try {
    startup = parseStartup();
  } catch (error) {
    const message = error instanceof MiniSqlError ? `${error.code}: ${error.message}` : (error as Error).message;
    console.error(error instanceof MiniSqlError ? `minisql-region: ${message}` : `minisql-region: ${message}\n${USAGE}`);
    process.exit(2);
  }
  const { options, cluster } = startup;
  const logger = new Logger(options.regionId, 'region', parseLogLevel(process.env.MINISQL_LOG_LEVEL));
  // The first line of each process in its log: a start that never gets further is seen.
  logger.info('starting', { pid: process.pid });
  const incarnation = randomUUID();
  const etcd = cluster ? new Etcd3(etcdOptions(cluster.config.etcdEndpoints, options.tls)) : undefined;
  const keys = cluster ? new EtcdKeys(cluster.config.etcdPrefix) : undefined;
  const parts =
    etcd && keys
      ? (() => {
          const membership = new GroupMembership(etcd, keys, options.regionId, incarnation, logger.child('membership'));
          const { config, host } = cluster as { config: ClusterConfig; host: HostConfig };
          const ip = process.env.THIS_IP ?? host.ip;
          return {
            membership,
            lease: new LeaseClock(),
            replicator: new Replicator(membership, options.tls, logger.child('replicator')),
            strictReplication: config.strictReplication,
            users: options.tls ? new UserDirectory(etcd, keys, logger.child('users')) : undefined,
            http: {
              address: `${ip}:${host.ports.metrics}`,
              security: {
                ...(options.tls ? { tls: options.tls } : {}),
                ...(config.statusTokenFile === undefined ? {} : { token: readSecretFile(config.statusTokenFile, config.source) }),
              },
            },
            ftp: {
              listenAddress: `${ip}:${host.ports.ftp}`,
              passiveHost: ip,
              passivePortMin: config.ftpPassivePortMin,
              passivePortMax: config.ftpPassivePortMax,
            },
          };
        })()
      : undefined;
  const server = new RegionServer(options, logger, parts, incarnation);
  let address: string;
  try {
    address = await server.start();
  } catch (error) {
    logger.error('region failed to start', { error: String(error) });
    process.exit(1);
  }
  let registration: RegionRegistration | undefined;
  if (cluster && etcd && keys && parts) {
    const host = cluster.host;
    registration = new RegionRegistration(
      etcd,
      keys,
      {
        id: options.regionId,
        host: host.name,
        grpcAddress: address,
        ftpAddress: `${host.ip}:${host.ports.ftp}`,
        incarnation: server.incarnation,
        startedAtMs: Date.now(),
      },
      cluster.config.leaseTtlSeconds,
      cluster.config.etcdEndpoints.join(','),
      logger.child('registration'),
      parts.lease,
    );
    // Registration and the group view retry in the background: the region serves meanwhile.
    const started = { registered: false, groupViewRead: false };
    void registration.start().then(() => (started.registered = true));
    void retryUntilStarted(() => parts.membership.start(), logger, 'could not read the group view from etcd').then(() => (started.groupViewRead = true));
    // An etcd call that hangs (no answer, no error) retries nothing and logs nothing: say
    // what is still awaited, so a region that never joins is told apart from one that failed.
    const etcdWatch = setInterval(() => {
      if (started.registered && started.groupViewRead) clearInterval(etcdWatch);
      else logger.warn('still waiting for etcd', { ...started, endpoints: cluster.config.etcdEndpoints.join(',') });
    }, ETCD_START_WARN_MS);
    etcdWatch.unref();
    if (parts.users) void retryUntilStarted(() => (parts.users as UserDirectory).start(), logger, 'could not read the users from etcd');
  }
  // The line the local cluster and the tests wait for: the region is serving at this address.
  process.stdout.write(`READY ${address}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void (async () => {
      await registration?.stop();
      await parts?.membership.stop();
      parts?.replicator.close();
      etcd?.close();
      await server.stop();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
