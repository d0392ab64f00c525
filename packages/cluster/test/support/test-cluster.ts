/**
 * Test fixture: a real cluster on loopback (etcd, masters, regions as processes) from a
 * generated configuration with free ports, in a temporary directory removed afterwards.
 */
import { after, before } from 'node:test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { basename, join } from 'node:path';
import {
  ADMIN_PASSWORD_FILE,
  CLIENT_CERT_NAME,
  FIRST_ADMIN,
  freePort,
  hideIpServerNameWarning,
  type Login,
  loadClusterConfig,
  loadTlsIdentity,
  type ClusterConfig,
  type ClusterStatusResponse__Output,
  type ReplicationServiceClient,
  type TlsIdentity,
} from '@minisql/common';
import { replicationStub } from '@minisql/wire';
import { ClusterClient } from '@minisql/client';
import type { Etcd3 } from 'etcd3';
import { LocalCluster } from '../../src/local-cluster.js';

// The tests' own connections name servers by IP, as the processes do.
hideIpServerNameWarning();

/** Bound on every wait for the cluster to reach a state, in milliseconds. */
export const WAIT_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 50;

export { freePort };

export interface TestClusterOptions {
  regions: number;
  masters?: number;
  leaseTtlSeconds?: number;
  /** Servers to start at once (default: all); others start with cluster.restart(name). */
  only?: string[];
  strictReplication?: boolean;
  /** Copies per group (default 2). */
  replicationFactor?: number;
  /** The configuration's durability (default: the configuration's default, durable). */
  durability?: 'durable' | 'fast';
  /** A file with the status page's token (default: none). */
  statusTokenFile?: string;
  /** TLS and authentication (default: on, as shipped); false only to measure what they cost. */
  tls?: boolean;
  /** More lines of the configuration file, e.g. `resultBytesMax: 1048576`. */
  settings?: string[];
  /** The servers' log level (default warn); info for tests that read what a server did. */
  logLevel?: 'info' | 'warn';
}

/** A lone etcd member (no master, no region) and a client of it, for tests of what minisql keeps in etcd. */
export async function startEtcdOnly(): Promise<{ test: TestCluster; etcd: Etcd3 }> {
  const test = await TestCluster.start({ regions: 0, masters: 0, only: [] });
  return { test, etcd: test.etcdAdmin() };
}

/**
 * startEtcdOnly for the tests of the calling describe block: started before them, closed
 * and removed after them. Read its fields inside the tests (they are set in `before`).
 */
export function etcdForSuite(): { test: TestCluster; etcd: Etcd3 } {
  const suite = {} as { test: TestCluster; etcd: Etcd3 };
  before(async () => Object.assign(suite, await startEtcdOnly()));
  after(async () => {
    suite.etcd?.close();
    await suite.test?.stop();
  });
  return suite;
}

export class TestCluster {
  private readonly clients: ClusterClient[] = [];

  private constructor(
    readonly dir: string,
    readonly configPath: string,
    readonly config: ClusterConfig,
    readonly cluster: LocalCluster,
    /** The client certificate, for connections of the test's own (undefined with tls off). */
    readonly tls: TlsIdentity | undefined,
    /** The first admin's login, made with the cluster (undefined with tls off). */
    readonly admin: Login | undefined,
  ) {}

  static async start(options: TestClusterOptions): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'minisql-cluster-'));
    const hosts: string[] = [];
    hosts.push(`  - { name: etcd0, ip: 127.0.0.1, roles: [etcd], ports: { etcdClient: ${await freePort()}, etcdPeer: ${await freePort()} } }`);
    for (let i = 1; i <= (options.masters ?? 1); i += 1) {
      hosts.push(`  - { name: master${i}, ip: 127.0.0.1, roles: [master], ports: { master: ${await freePort()}, status: ${await freePort()} } }`);
    }
    for (let i = 1; i <= options.regions; i += 1) {
      hosts.push(
        `  - { name: region${i}, ip: 127.0.0.1, roles: [region], ports: { region: ${await freePort()}, ftp: ${await freePort()}, metrics: ${await freePort()} } }`,
      );
    }
    const configPath = join(dir, 'cluster.yaml');
    writeFileSync(
      configPath,
      [
        `leaseTtlSeconds: ${options.leaseTtlSeconds ?? 1}`,
        `replicationFactor: ${options.replicationFactor ?? 2}`,
        `strictReplication: ${options.strictReplication ?? false}`,
        ...(options.durability === undefined ? [] : [`durability: ${options.durability}`]),
        ...(options.statusTokenFile === undefined ? [] : [`statusTokenFile: ${options.statusTokenFile}`]),
        ...(options.tls === false ? ['tls: false'] : []),
        ...(options.settings ?? []),
        `dataDir: ${join(dir, 'data')}`,
        'hosts:',
        ...hosts,
      ].join('\n'),
    );
    const config = loadClusterConfig(configPath);
    const cluster = new LocalCluster({ config, configPath, env: { ...process.env, MINISQL_LOG_LEVEL: options.logLevel ?? 'warn' } });
    try {
      await cluster.start(options.only);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const tls = config.tls ? loadTlsIdentity(config.certsDir, CLIENT_CERT_NAME) : undefined;
    const admin = config.tls ? { user: FIRST_ADMIN, password: readFileSync(join(config.certsDir, ADMIN_PASSWORD_FILE), 'utf8').trim() } : undefined;
    return new TestCluster(dir, configPath, config, cluster, tls, admin);
  }

  /** The client certificate and the admin's login, for client options; nothing when TLS is off. */
  get tlsOption(): { tls?: TlsIdentity; login?: Login } {
    return this.tls && this.admin ? { tls: this.tls, login: this.admin } : {};
  }

  /**
   * One ReplicationService call to `region` with the master's certificate, as a master
   * would make it (and then perhaps die): resolves with the answer, whose error field the
   * test judges; rejects on a transport failure.
   */
  async asMaster<Response>(
    region: string,
    send: (stub: ReplicationServiceClient, done: (error: Error | null, response?: Response) => void) => void,
  ): Promise<Response | Record<string, never>> {
    const stub = replicationStub(this.cluster.addressOf(region), loadTlsIdentity(this.config.certsDir, 'master1'));
    try {
      return await new Promise<Response | Record<string, never>>((resolve, reject) =>
        send(stub, (error, response) => (error ? reject(error) : resolve(response ?? {}))),
      );
    } finally {
      stub.close();
    }
  }

  /** A client of etcd as its root user (TLS, and the password the cluster made), for tests that read or write minisql's keys. */
  etcdAdmin(): Etcd3 {
    return this.cluster.etcdAdmin();
  }

  /** Addresses of the masters of the configuration. */
  get masterAddresses(): string[] {
    return this.config.hosts.filter((h) => h.roles.includes('master')).map((h) => `${h.ip}:${h.ports.master}`);
  }

  async client(): Promise<ClusterClient> {
    const client = await ClusterClient.connect({ masterAddresses: this.masterAddresses, statementTimeoutMs: 10_000, ...this.tlsOption });
    this.clients.push(client);
    return client;
  }

  /** GET of a path of the first master's status page (HTTPS, trusting the cluster's authority); the status code and the body. */
  async statusPage(path: string, headers: Record<string, string> = {}, name?: string): Promise<{ status: number; body: string }> {
    const master = this.config.hosts.find((h) => h.roles.includes('master') && (name === undefined || h.name === name));
    return this.httpGet(master?.ports.status as number, path, headers);
  }

  /** GET of a path of a region's metrics endpoint (/metrics, /health, /primary/TABLE). */
  regionEndpoint(region: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return this.httpGet(this.config.hosts.find((h) => h.name === region)?.ports.metrics as number, path, headers);
  }

  private httpGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const url = `${this.config.tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`;
    return new Promise((resolve, reject) => {
      const request = httpsRequest(url, { headers, ...(this.tls ? { ca: this.tls.ca } : {}), timeout: 5_000 }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer from ${url}`)));
      request.on('error', reject);
      request.end();
    });
  }

  /** Polls the active master's status until `done` holds; fails after WAIT_TIMEOUT_MS. */
  async waitForStatus(
    what: string,
    done: (status: ClusterStatusResponse__Output) => boolean,
    timeoutMs = WAIT_TIMEOUT_MS,
  ): Promise<ClusterStatusResponse__Output> {
    const client = await this.waitFor('a master to answer', () =>
      this.client().then(
        (c) => c,
        () => undefined,
      ),
    );
    return this.waitFor(
      what,
      async () => {
        const status = await client.clusterStatus().catch(() => undefined);
        return status && done(status) ? status : undefined;
      },
      timeoutMs,
    );
  }

  /** Polls `probe` until it returns a value; fails with `what` after `timeoutMs`. */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.close();
    await this.cluster.stop();
    // MINISQL_KEEP_TEST_LOGS=DIR keeps each cluster's logs there, to read after a failure.
    const keep = process.env.MINISQL_KEEP_TEST_LOGS;
    if (keep) cpSync(join(this.config.dataDir, 'logs'), join(keep, basename(this.dir)), { recursive: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
