/**
 * The one-machine test cluster from code: creates and destroys the namespace hosts by
 * running scripts/hosts.sh (the one implementation; this file only runs it and reads the
 * plan it prints), and hands out a NetnsRemote per host.
 *
 * Hosts left behind would keep addresses, a bridge and processes alive after the test,
 * so every created cluster is also destroyed when the process exits, including on
 * SIGINT and SIGTERM; a cluster left by a crash (SIGKILL) is removed by the next `up`
 * with the same prefix, or by `scripts/hosts.sh down`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NetnsRemote } from './netns-remote.js';
import { JepsenError } from '../jepsen-errors.js';

/** scripts/hosts.sh, found from this file whether it runs from src/ or dist/src/. */
export const HOSTS_SCRIPT_PATH = fileURLToPath(
  new URL(/\/dist\/src\/control\/[^/]+$/.test(import.meta.url) ? '../../../scripts/hosts.sh' : '../../scripts/hosts.sh', import.meta.url),
);
/** Limit on one run of the script (up with 50 hosts takes a few seconds). */
const SCRIPT_TIMEOUT_MS = 60_000;
/** Limit on the synchronous teardown at process exit. */
const EXIT_TEARDOWN_TIMEOUT_MS = 30_000;

export interface NetnsHostsOptions {
  /**
   * Prefix of every name the script creates (namespaces `<prefix>-host<i>`, bridge
   * `<prefix>-br`). Default: the environment's JEPSEN_NET_PREFIX, else `mjh`. Tests use
   * their own so they never touch a developer's hosts.
   */
  prefix?: string;
  /** First three octets of the /24. Default: JEPSEN_NET_SUBNET, else 10.77.0. */
  subnet?: string;
  /** Default: JEPSEN_HOST_COUNT, else 5. */
  hostCount?: number;
  /** The script to run; default HOSTS_SCRIPT_PATH. */
  scriptPath?: string;
}

/** One host as the script's plan describes it. */
export interface NetnsHost {
  /** host0, host1, ... */
  readonly node: string;
  readonly namespace: string;
  readonly address: string;
  /** The host's interface on the bridge, inside its namespace. */
  readonly interfaceName: string;
}

export class NetnsHostsError extends JepsenError<'NETNS_HOSTS_FAILED'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NETNS_HOSTS_FAILED', message, options);
    this.name = 'NetnsHostsError';
  }
}

export class NetnsHosts {
  private readonly scriptPath: string;
  /** The script's environment: this process's, with the options that were given. */
  private readonly scriptEnv: NodeJS.ProcessEnv;
  /** The hosts as the last `up` printed them; empty before create and after destroy. */
  private created: readonly NetnsHost[] = [];

  constructor(options: NetnsHostsOptions = {}) {
    this.scriptPath = options.scriptPath ?? HOSTS_SCRIPT_PATH;
    this.scriptEnv = {
      ...process.env,
      ...(options.prefix === undefined ? {} : { JEPSEN_NET_PREFIX: options.prefix }),
      ...(options.subnet === undefined ? {} : { JEPSEN_NET_SUBNET: options.subnet }),
      ...(options.hostCount === undefined ? {} : { JEPSEN_HOST_COUNT: String(options.hostCount) }),
    };
  }

  /** The hosts, once created. */
  get hosts(): readonly NetnsHost[] {
    return this.created;
  }

  /** The hosts the script would create, without creating anything. */
  async plan(): Promise<readonly NetnsHost[]> {
    return parsePlan(await this.run('plan'));
  }

  /**
   * Removes any leftovers with the same prefix, creates the hosts, and registers them
   * for removal at process exit. Throws NetnsHostsError with the script's message.
   */
  async create(): Promise<readonly NetnsHost[]> {
    liveClusters.add(this);
    installExitHooks();
    try {
      this.created = parsePlan(await this.run('up'));
    } catch (error) {
      // The script removes what it made when up fails; this forgets the cluster.
      liveClusters.delete(this);
      throw error;
    }
    return this.created;
  }

  /** Kills every process in the hosts and removes them. Safe to call again, or without create. */
  async destroy(): Promise<void> {
    await this.run('down');
    this.created = [];
    liveClusters.delete(this);
  }

  /** One remote per host, keyed by node name. */
  remotes(): Map<string, NetnsRemote> {
    return new Map(this.created.map((host) => [host.node, new NetnsRemote({ node: host.node, namespace: host.namespace, address: host.address })]));
  }

  /** Removes the hosts synchronously, for the process-exit hook, where nothing async runs. */
  destroySync(): void {
    const result = spawnSync('bash', [this.scriptPath, 'down'], { env: this.scriptEnv, timeout: EXIT_TEARDOWN_TIMEOUT_MS, encoding: 'utf8' });
    if (result.status !== 0) {
      process.stderr.write(`minisql-jepsen: could not remove namespace hosts (${result.error?.message ?? result.stderr.trim()}); run scripts/hosts.sh down\n`);
    }
    this.created = [];
    liveClusters.delete(this);
  }

  private run(command: 'up' | 'down' | 'plan'): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('bash', [this.scriptPath, command], { env: this.scriptEnv, timeout: SCRIPT_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) {
          const why = stderr.trim() || error.message;
          reject(new NetnsHostsError(`hosts.sh ${command} failed: ${why}`, { cause: error }));
          return;
        }
        resolve(stdout);
      });
    });
  }
}

function parsePlan(stdout: string): NetnsHost[] {
  const hosts = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [node, namespace, address, interfaceName] = line.trim().split(/\s+/);
      if (!node || !namespace || !address || !interfaceName) throw new NetnsHostsError(`hosts.sh printed an unreadable plan line: ${JSON.stringify(line)}`);
      return { node, namespace, address, interfaceName };
    });
  if (hosts.length === 0) throw new NetnsHostsError('hosts.sh printed no hosts');
  return hosts;
}

/** Clusters created and not yet destroyed, removed at exit. */
const liveClusters = new Set<NetnsHosts>();
let exitHooksInstalled = false;

function destroyAllSync(): void {
  for (const cluster of [...liveClusters]) cluster.destroySync();
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAllSync();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('exit', destroyAllSync);
  exitHooksInstalled = false;
  // With nobody else listening, die of the signal as the default action would have.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', destroyAllSync);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
