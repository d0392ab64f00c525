/**
 * etcd, the seed's example database: one member per node, started from the etcd binary
 * already on the node (Debian's etcd-server, or `database.binary`), all members forming
 * one cluster. Clients use the etcd3 package with its retries switched off, because a
 * retried CAS could take effect twice (see etcd-connection.ts).
 *
 * `database:` options (pyjepsen's keys still work):
 * - `initial_cluster`: etcd's --initial-cluster; default: every node, `name=http://address:2380`;
 * - `port` (2379) and `peer_port` (2380);
 * - `binary` ("etcd"): the etcd executable on the nodes;
 * - `dir` ("/tmp/minisql-jepsen"): each node keeps its member in `<dir>/<node>/`.
 */
import type { Database } from './database.js';
import { EtcdConnection, etcdClient } from './etcd-connection.js';
import { daemonCommands } from '../control/node-daemon.js';
import { shellQuote } from '../control/shell-quote.js';
import type { StoreConnection } from './store-connection.js';
import { remoteOf, type TestContext } from '../test-context.js';
import { JepsenError, scalarText } from '../jepsen-errors.js';

/** How long a member may take to join a healthy cluster after it starts. */
const ETCD_READY_MS_MAX = 60_000;
const ETCD_READY_POLL_MS = 250;

export interface EtcdOptions {
  clientPort: number;
  peerPort: number;
  binary: string;
  dir: string;
  initialCluster?: string;
}

export function etcdOptions(raw: Readonly<Record<string, unknown>>): EtcdOptions {
  const text = (key: string, fallback: string) => (raw[key] === undefined ? fallback : scalarText(raw[key], `database.${key}`));
  const initialCluster = raw.initial_cluster === undefined ? undefined : scalarText(raw.initial_cluster, 'database.initial_cluster');
  return {
    clientPort: Number(raw.port ?? 2379),
    peerPort: Number(raw.peer_port ?? 2380),
    binary: text('binary', 'etcd'),
    dir: text('dir', '/tmp/minisql-jepsen'),
    ...(initialCluster === undefined ? {} : { initialCluster }),
  };
}

export class EtcdDatabase implements Database {
  readonly name = 'etcd';

  constructor(private readonly options: EtcdOptions) {}

  /** The client URL of a node's member. */
  clientUrl(test: TestContext, node: string): string {
    return `http://${remoteOf(test, node).address}:${this.options.clientPort}`;
  }

  async setup(test: TestContext, node: string): Promise<void> {
    const daemon = this.daemon(test, node);
    await remoteOf(test, node).exec(`${daemon.stop} ; rm -rf ${shellQuote(this.nodeDir(node))} && ${daemon.start}`);
    await this.awaitReady(test, node);
  }

  async teardown(test: TestContext, node: string): Promise<void> {
    const daemon = this.daemon(test, node);
    await remoteOf(test, node).exec(`${daemon.stop} ; rm -rf ${shellQuote(this.nodeDir(node))}`);
  }

  async isRunning(test: TestContext, node: string): Promise<boolean> {
    const result = await remoteOf(test, node).exec(this.daemon(test, node).isRunning, { check: false });
    return result.exitCode === 0;
  }

  async kill(test: TestContext, node: string): Promise<void> {
    await remoteOf(test, node).exec(this.daemon(test, node).kill);
  }

  async start(test: TestContext, node: string): Promise<void> {
    await remoteOf(test, node).exec(this.daemon(test, node).start);
  }

  async pause(test: TestContext, node: string): Promise<void> {
    await remoteOf(test, node).exec(this.daemon(test, node).signal('STOP'));
  }

  async resume(test: TestContext, node: string): Promise<void> {
    await remoteOf(test, node).exec(this.daemon(test, node).signal('CONT'));
  }

  /** The leader, as the members that answer see it. */
  async primaries(test: TestContext): Promise<string[]> {
    const leaders = new Set<string>();
    await Promise.all(
      test.nodes.map(async (node) => {
        const client = etcdClient(this.clientUrl(test, node), 2_000);
        try {
          const status = await client.maintenance.status();
          const members = await client.cluster.memberList({});
          const leader = members.members.find((member) => member.ID === status.leader);
          if (leader?.name) leaders.add(leader.name);
        } catch {
          // A member that does not answer (paused, partitioned, killed) has no say.
        } finally {
          client.close();
        }
      }),
    );
    return [...leaders].filter((name) => test.nodes.includes(name));
  }

  logFiles(_test: TestContext, node: string): string[] {
    return [`${this.nodeDir(node)}/etcd.log`];
  }

  async connect(test: TestContext, node: string): Promise<StoreConnection> {
    return new EtcdConnection(this.clientUrl(test, node));
  }

  private nodeDir(node: string): string {
    return `${this.options.dir}/${node}`;
  }

  private daemon(test: TestContext, node: string) {
    const address = remoteOf(test, node).address;
    const { clientPort, peerPort } = this.options;
    const initialCluster =
      this.options.initialCluster ?? test.nodes.map((member) => `${member}=http://${remoteOf(test, member).address}:${peerPort}`).join(',');
    const dir = this.nodeDir(node);
    return daemonCommands({
      dir,
      name: 'etcd',
      command: [
        this.options.binary,
        '--name',
        node,
        '--data-dir',
        `${dir}/etcd-data`,
        '--listen-peer-urls',
        `http://${address}:${peerPort}`,
        '--listen-client-urls',
        `http://${address}:${clientPort}`,
        '--advertise-client-urls',
        `http://${address}:${clientPort}`,
        '--initial-advertise-peer-urls',
        `http://${address}:${peerPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        `jepsen-${test.name}`,
      ],
    });
  }

  /** Waits until the member answers a linearizable read (it has joined a cluster with a leader). */
  private async awaitReady(test: TestContext, node: string): Promise<void> {
    const deadline = Date.now() + ETCD_READY_MS_MAX;
    let lastError: unknown;
    while (Date.now() < deadline) {
      const client = etcdClient(this.clientUrl(test, node), 2_000);
      try {
        await client.get('jepsen-ready-probe').string();
        return;
      } catch (error) {
        lastError = error;
      } finally {
        client.close();
      }
      if (!(await this.isRunning(test, node))) {
        throw new JepsenError('DB_SETUP_FAILED', `etcd on ${node} exited; see ${this.nodeDir(node)}/etcd.log`);
      }
      await new Promise((resolve) => setTimeout(resolve, ETCD_READY_POLL_MS));
    }
    throw new JepsenError('DB_SETUP_FAILED', `etcd on ${node} did not answer within ${ETCD_READY_MS_MAX} ms: ${String(lastError)}`);
  }
}
