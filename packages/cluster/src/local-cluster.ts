/**
 * Runs a whole cluster on this machine from one configuration: every etcd member, then
 * the masters and regions, each a real process with its log in `<dataDir>/logs/`.
 * Regions can be killed and restarted by name while it runs (control-server.ts).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import {
  certificatePlan,
  CLIENT_CERT_NAME,
  etcdOptions,
  etcdRootPassword,
  loadTlsIdentity,
  secureCluster,
  makeCertificates,
  ReadyProcess,
  type ClusterConfig,
  type HostConfig,
} from '@minisql/common';
import { etcdArguments, etcdHealthy, etcdMembers } from './etcd-arguments.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src -> the packages folder */
const PACKAGES = join(here, '..', '..', '..');
export const MASTER_MAIN = join(PACKAGES, 'master', 'dist', 'src', 'main.js');
export const REGION_MAIN = join(PACKAGES, 'region', 'dist', 'src', 'main.js');
export const ETCD_COMMAND_DEFAULT = '/usr/bin/etcd';

export type ProcessRole = 'etcd' | 'master' | 'region';

interface Managed {
  name: string;
  role: ProcessRole;
  host: HostConfig;
  process: ReadyProcess | undefined;
  log: WriteStream;
}

export interface LocalClusterOptions {
  config: ClusterConfig;
  /** Path of the configuration file, handed to every process. */
  configPath: string;
  etcdCommand?: string;
  /** Progress lines for the person waiting. */
  onProgress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class LocalCluster {
  private readonly processes = new Map<string, Managed>();
  private readonly logDir: string;

  constructor(private readonly options: LocalClusterOptions) {
    this.logDir = join(options.config.dataDir, 'logs');
  }

  /**
   * Starts etcd, then the masters and regions together (only those named in `only`, if
   * given; the rest can be started later with restart()); stops what started if any fails.
   */
  async start(only?: readonly string[]): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const { config } = this.options;
    // The local cluster runs with TLS and the user does nothing for it: what is missing is made.
    if (config.tls) {
      const certs = makeCertificates(config.certsDir, certificatePlan(config));
      if (certs.made.length > 0) this.progress(`made certificates for ${certs.made.join(', ')} in ${certs.dir}`);
    }
    try {
      await allStarted(etcdMembers(config).map((host) => this.launch(`etcd-${host.name}`, 'etcd', host)));
      if (config.tls && etcdMembers(config).length > 0) await this.secureEtcd();
      const servers = this.servers().filter(({ host }) => only === undefined || only.includes(host.name));
      await allStarted(servers.map(({ host, role }) => this.launch(host.name, role, host)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Names of the processes, with their pids (undefined when stopped). */
  list(): Array<{ name: string; role: ProcessRole; pid: number | undefined }> {
    return [...this.processes.values()].map((p) => ({ name: p.name, role: p.role, pid: p.process?.pid }));
  }

  /** kill -9 of one server process by name; it stays down until restarted. */
  async kill(name: string): Promise<void> {
    const managed = this.require(name);
    if (!managed.process) throw new Error(`${name} is not running`);
    await managed.process.stop('SIGKILL');
    managed.process = undefined;
    this.progress(`killed ${name} (SIGKILL)`);
  }

  /** Starts a server of the configuration; one that runs is stopped (SIGTERM) first. */
  async restart(name: string): Promise<void> {
    const server = this.servers().find(({ host }) => host.name === name);
    if (!server)
      throw new Error(
        `no server named ${name} (servers: ${this.servers()
          .map(({ host }) => host.name)
          .join(', ')})`,
      );
    const managed = this.processes.get(name);
    if (managed?.process) await managed.process.stop('SIGTERM');
    if (managed) managed.process = undefined;
    await this.launch(name, server.role, server.host);
  }

  /** The address a running server serves at. */
  addressOf(name: string): string {
    const address = this.processes.get(name)?.process?.address;
    if (address === undefined) throw new Error(`${name} is not running`);
    return address;
  }

  private servers(): Array<{ host: HostConfig; role: 'master' | 'region' }> {
    return this.options.config.hosts.flatMap((host) =>
      host.roles.filter((role): role is 'master' | 'region' => role === 'master' || role === 'region').map((role) => ({ host, role })),
    );
  }

  /** Stops servers first, etcd last, so they can deregister cleanly. */
  async stop(): Promise<void> {
    const all = [...this.processes.values()];
    await Promise.all(all.filter((p) => p.role !== 'etcd').map((p) => p.process?.stop('SIGTERM') ?? Promise.resolve()));
    await Promise.all(all.filter((p) => p.role === 'etcd').map((p) => p.process?.stop('SIGTERM') ?? Promise.resolve()));
    for (const managed of all) {
      managed.process = undefined;
      managed.log.end();
    }
  }

  private require(name: string): Managed {
    const managed = this.processes.get(name);
    if (!managed || managed.role === 'etcd') {
      throw new Error(
        `no running server named ${name} (servers: ${this.servers()
          .map(({ host }) => host.name)
          .join(', ')})`,
      );
    }
    return managed;
  }

  private async launch(name: string, role: ProcessRole, host: HostConfig): Promise<void> {
    let managed = this.processes.get(name);
    if (!managed) {
      managed = { name, role, host, process: undefined, log: createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' }) };
      this.processes.set(name, managed);
    }
    const log = managed.log;
    const env = { ...(this.options.env ?? process.env), THIS_NAME: host.name, THIS_IP: host.ip };
    const onStderrLine = (line: string): void => void log.write(`${line}\n`);
    const common = { env, onStderrLine };
    const args = ['--config', this.options.configPath];
    managed.process =
      role === 'etcd'
        ? await ReadyProcess.start({
            ...common,
            command: this.options.etcdCommand ?? ETCD_COMMAND_DEFAULT,
            args: etcdArguments(this.options.config, host, join(this.options.config.dataDir, 'etcd', host.name)),
            probe: () => etcdHealthy(this.options.config, host),
          })
        : await ReadyProcess.start({ ...common, script: role === 'master' ? MASTER_MAIN : REGION_MAIN, args });
    this.progress(`${name} (${role}) is up at ${managed.process.address}`);
  }

  /** A client of the cluster's etcd as its root user (the operator's), over TLS when TLS is on. */
  etcdAdmin(): Etcd3 {
    const { config } = this.options;
    if (!config.tls) return new Etcd3(etcdOptions(config.etcdEndpoints, undefined));
    return new Etcd3({
      ...etcdOptions(config.etcdEndpoints, loadTlsIdentity(config.certsDir, CLIENT_CERT_NAME)),
      auth: { username: 'root', password: etcdRootPassword(config.certsDir) },
    });
  }

  /** The first time the cluster starts: etcd's authentication on, and the first admin (secureCluster). */
  private async secureEtcd(): Promise<void> {
    const { config } = this.options;
    for (const line of await secureCluster(config, config.certsDir)) this.progress(line);
  }

  private progress(line: string): void {
    this.options.onProgress?.(line);
  }
}

/**
 * Waits for every launch to end, then throws the first failure. (Promise.all rejects at
 * the first failure while the other launches are still starting; stopping the cluster
 * then would miss the processes that come up afterwards, and they would outlive it.)
 */
async function allStarted(launches: ReadonlyArray<Promise<void>>): Promise<void> {
  const outcomes = await Promise.allSettled(launches);
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
