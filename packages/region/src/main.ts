#!/usr/bin/env node
/**
 * The region server process. The only place that reads flags and the environment.
 *   minisql-region [--listen host:port] [--data-dir DIR] [--id NAME]
 * Environment: THIS_NAME (region id), THIS_IP (listen host), MINISQL_LOG_LEVEL.
 */
import { parseArgs } from 'node:util';
import { Logger, parseLogLevel } from '@minisql/common';
import { REGION_DEFAULTS, REGION_LISTEN_ADDRESS_DEFAULT, type RegionOptions } from './region-options.js';
import { RegionServer } from './region-server.js';

const USAGE = `usage: minisql-region [options]
  --listen HOST:PORT   gRPC address to listen on (default ${REGION_LISTEN_ADDRESS_DEFAULT}, or $THIS_IP:7001)
  --data-dir DIR       directory of the table files (default ./data/<id>)
  --id NAME            region name (default $THIS_NAME, else "region")
  --sync MODE          SQLite synchronous mode: normal or full (default normal)
  -h, --help           show this help`;

function parseOptions(): RegionOptions {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      id: { type: 'string' },
      sync: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const regionId = values.id ?? process.env.THIS_NAME ?? 'region';
  const sync = (values.sync ?? 'normal').toUpperCase();
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new Error(`--sync must be normal or full, got ${values.sync}`);
  return {
    ...REGION_DEFAULTS,
    regionId,
    listenAddress: values.listen ?? (process.env.THIS_IP ? `${process.env.THIS_IP}:7001` : REGION_LISTEN_ADDRESS_DEFAULT),
    dataDir: values['data-dir'] ?? `data/${regionId}`,
    synchronous: sync,
  };
}

async function main(): Promise<void> {
  let options: RegionOptions;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`minisql-region: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const logger = new Logger(options.regionId, 'region', parseLogLevel(process.env.MINISQL_LOG_LEVEL));
  const server = new RegionServer(options, logger);
  try {
    const address = await server.start();
    // The line the local cluster and the tests wait for: the region is ready at this address.
    process.stdout.write(`READY ${address}\n`);
  } catch (error) {
    logger.error('region failed to start', { error: String(error) });
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
