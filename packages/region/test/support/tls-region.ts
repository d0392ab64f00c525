/**
 * Test fixture: a region server in the test's own process with TLS on (certificates of
 * a fresh authority, made with openssl), on a free loopback port, its files in a fresh
 * temporary directory. For tests of the region's port, which look at the server's own
 * counters and open raw sockets to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTlsIdentity, Logger, makeCertificates, type TlsIdentity } from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import { RegionServer } from '../../src/region-server.js';
import { REGION_DEFAULTS, type RegionOptions } from '../../src/region-options.js';

export interface TlsRegion {
  region: RegionServer;
  /** The region's certificate: a server caller, which runs statements without a user. */
  caller: TlsIdentity;
  /** The region's port. */
  port: number;
  /** Where the certificates and data are. */
  work: string;
  /** Runs `statements` in order through a client of the statement protocol. */
  run(...statements: Array<string | { sql: string; params: unknown[] }>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a region with TLS; `options` override the defaults (query workers off). */
export async function startTlsRegion(name: string, options: Partial<RegionOptions> = {}, logger?: Logger): Promise<TlsRegion> {
  const work = mkdtempSync(join(tmpdir(), `minisql-${name}-`));
  const spec = { name: 'region1', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] };
  makeCertificates(join(work, 'certs'), [spec]);
  const caller = loadTlsIdentity(join(work, 'certs'), 'region1');
  const region = new RegionServer(
    {
      ...REGION_DEFAULTS,
      regionId: 'region1',
      listenAddress: '127.0.0.1:0',
      dataDir: join(work, 'data'),
      tls: caller,
      queryWorkers: 0,
      ...options,
    },
    logger ?? new Logger('test', 'region', 'error', { write: () => undefined }),
  );
  await region.start();
  return {
    region,
    caller,
    work,
    port: Number(region.address.split(':')[1]),
    async run(...statements) {
      const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
      try {
        for (const statement of statements) {
          if (typeof statement === 'string') await client.execute(statement);
          else await client.execute(statement.sql, { params: statement.params as never });
        }
      } finally {
        client.close();
      }
    },
    async stop() {
      await region.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
