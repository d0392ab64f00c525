#!/usr/bin/env node
/**
 * The master process. The only place that reads flags and the environment.
 *   minisql-master --config minisql.yaml      (THIS_NAME picks the host)
 * Environment: THIS_NAME, MINISQL_CONFIG, MINISQL_LOG_LEVEL.
 */
import { parseArgs } from 'node:util';
import { findHost, readSecretFile, loadClusterConfig, loadTlsIdentity, Logger, MiniSqlError, parseLogLevel, hideIpServerNameWarning } from '@minisql/common';
import type { MasterOptions } from './master-options.js';
import { MasterServer } from './master-server.js';

hideIpServerNameWarning();

const USAGE = `usage: minisql-master --config FILE [options]
  --config FILE        cluster configuration (or $MINISQL_CONFIG); THIS_NAME picks this host
  --id NAME            host name to take from the configuration (default $THIS_NAME)
  --listen HOST:PORT   MasterService address (default: the host's ip and master port)
  -h, --help           show this help`;

function parseOptions(): MasterOptions {
  const { values } = parseArgs({
    options: { config: { type: 'string' }, id: { type: 'string' }, listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const path = values.config ?? process.env.MINISQL_CONFIG;
  if (path === undefined) throw new Error('--config is required (or set MINISQL_CONFIG)');
  const config = loadClusterConfig(path);
  const host = findHost(config, values.id ?? process.env.THIS_NAME, 'master');
  return {
    masterId: host.name,
    listenAddress: values.listen ?? `${process.env.THIS_IP ?? host.ip}:${host.ports.master}`,
    statusAddress: `${process.env.THIS_IP ?? host.ip}:${host.ports.status}`,
    etcdEndpoints: config.etcdEndpoints,
    etcdPrefix: config.etcdPrefix,
    leaseTtlSeconds: config.leaseTtlSeconds,
    replicationFactor: config.replicationFactor,
    rebalanceOnGroupFormed: config.rebalanceOnGroupFormed,
    ...(config.tls ? { tls: loadTlsIdentity(config.certsDir, host.name) } : {}),
    ...(config.statusTokenFile === undefined ? {} : { statusToken: readSecretFile(config.statusTokenFile, config.source) }),
  };
}

async function main(): Promise<void> {
  let options: MasterOptions;
  try {
    options = parseOptions();
  } catch (error) {
    if (error instanceof MiniSqlError) console.error(`minisql-master: ${error.code}: ${error.message}`);
    else console.error(`minisql-master: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const logger = new Logger(options.masterId, 'master', parseLogLevel(process.env.MINISQL_LOG_LEVEL));
  // The first line of each process in its log: a start that never gets further is seen.
  logger.info('starting', { pid: process.pid });
  const server = new MasterServer(options, logger);
  try {
    const address = await server.start();
    process.stdout.write(`READY ${address}\n`);
  } catch (error) {
    logger.error('master failed to start', { error: String(error) });
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
