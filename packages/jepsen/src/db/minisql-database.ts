/**
 * minisql under test, deployed as the project deploys it: a cluster configuration
 * (written to every node), then on each node `scripts/etcd.sh` and `scripts/master.sh`
 * or `scripts/region.sh` with THIS_NAME and THIS_IP set. Roles follow the reference
 * deployment (config/five-hosts.yaml): an etcd member on every node, the master on the
 * first, regions on the rest, so five nodes give two replica groups of two and a spare.
 * With `masters: 2` the second node runs a standby master beside its region, so a kill
 * of the leading master (`kill:master`) hands the cluster to the standby.
 *
 * The `database:` options:
 * - `root`: the minisql checkout on the nodes (built); default: the one running this tester;
 * - `dir` ("/tmp/minisql-jepsen"): configuration, data and logs on the nodes;
 * - `lease_ttl_seconds` (2), `replication_factor` (2), `strict_replication` (false);
 * - `masters` (1): masters on the first `masters` nodes (1 or 2);
 * - `tables` (2): registers are spread over this many tables, so both groups serve;
 * - `keys_provisioned` (2000): register rows created before the test (keys beyond read nil
 *   and refuse writes: the workload's keys rotate, see `workload.ops_per_key`);
 * - `reads` ("primary"): "replica" serves reads from replicas, which is NOT linearizable:
 *   the deliberately unsafe setting that the checker must catch.
 */
import { join } from 'node:path';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ClusterClient, divergence, memberVerdict } from '@minisql/client';
import {
  ADMIN_PASSWORD_FILE,
  CA_CERT_FILE,
  certificatePaths,
  CLIENT_CERT_NAME,
  FIRST_ADMIN,
  loadTlsIdentity,
  makeCertificates,
  MiniSqlError,
  parseClusterConfig,
  secretInFile,
  secureCluster,
  type ClusterStatusResponse__Output,
  type Login,
  type TlsIdentity,
  compareGroupIds,
  withDeadline,
} from '@minisql/common';
import type { DatabaseVerification } from './db-verification.js';
import type { Database } from './database.js';
import type { PrimaryReplicaLink } from '../nemesis/partition-shapes.js';
import { MinisqlConnection, provisionMinisql, REGISTER_TABLE_PREFIX } from './minisql-connection.js';
import { minisqlOptions, type MinisqlOptions } from './minisql-options.js';

export { minisqlOptions, type MinisqlOptions };
import { daemonCommands, type DaemonCommands } from '../control/node-daemon.js';
import { shellQuote } from '../control/shell-quote.js';
import type { StoreConnection } from './store-connection.js';
import { remoteOf, type TestContext } from '../test-context.js';
import { JepsenError } from '../jepsen-errors.js';

const MASTER_PORT = 7000;
const REGION_PORT = 7001;
/** How long the cluster may take to accept the test's tables after every node started. */
const CLUSTER_READY_MS_MAX = 90_000;
/** Bound on the verify after a run, failovers and retries included. */
const VERIFY_MS_MAX = 60_000;
/** Pause between attempts to create the test's tables while the cluster comes up. */
const PROVISION_RETRY_MS = 1_000;

type Role = 'etcd' | 'master' | 'region';

export class MinisqlDatabase implements Database {
  readonly name = 'minisql';
  private certs: { dir: string; client: TlsIdentity; login: Login } | undefined;
  /** Runaway queries sent, to take the register tables in turn. */
  private runaways = 0;

  constructor(private readonly options: MinisqlOptions) {}

  rolesOf(test: TestContext, node: string): Role[] {
    if (test.nodes.length < 3)
      throw new JepsenError('DB_SETUP_FAILED', `minisql needs at least 3 nodes (a master and a group of two regions), not ${test.nodes.length}`);
    if (node === test.nodes[0]) return ['etcd', 'master'];
    return this.options.masters === 2 && node === test.nodes[1] ? ['etcd', 'master', 'region'] : ['etcd', 'region'];
  }

  /**
   * The test's certificates, made on first use in a folder of this machine's removed when
   * the tester exits: an authority of the test's own, a certificate per node, one for the
   * tester's clients. minisql runs with TLS on, as it ships.
   */
  private certificates(test: TestContext): { dir: string; client: TlsIdentity; login: Login } {
    if (this.certs) return this.certs;
    const dir = mkdtempSync(`${tmpdir()}/minisql-jepsen-certs-`);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const specs = test.nodes.map((node) => ({ name: node, roles: this.rolesOf(test, node), ips: [remoteOf(test, node).address], dnsNames: [] }));
    makeCertificates(dir, [...specs, { name: CLIENT_CERT_NAME, roles: ['client'], ips: [], dnsNames: [] }]);
    this.certs = { dir, client: loadTlsIdentity(dir, CLIENT_CERT_NAME), login: { user: FIRST_ADMIN, password: secretInFile(join(dir, ADMIN_PASSWORD_FILE)) } };
    return this.certs;
  }

  /** A client of the cluster with the tester's certificate, logged in as its first admin. */
  private adminClient(
    test: TestContext,
    timing: { masterFailoverWaitMs: number; retryDeadlineMs?: number; statementTimeoutMs?: number },
  ): Promise<ClusterClient> {
    const { client: tls, login } = this.certificates(test);
    return ClusterClient.connect({ masterAddresses: this.masterAddresses(test), tls, login, ...timing });
  }

  /** Every master's address, the leader's first as far as the test knows. */
  masterAddresses(test: TestContext): string[] {
    return test.nodes.filter((node) => this.rolesOf(test, node).includes('master')).map((node) => `${remoteOf(test, node).address}:${MASTER_PORT}`);
  }

  async setup(test: TestContext, node: string): Promise<void> {
    const configPath = `${this.options.dir}/minisql.yaml`;
    await this.uploadConfig(test, node, configPath);
    await this.start(test, node);
  }

  /**
   * Once every node runs its processes: etcd's users and the first admin, then the test's
   * tables, retried while the cluster comes up (bounded), so the test starts on a working
   * cluster. Jepsen's setup-primary!.
   */
  async setupPrimary(test: TestContext): Promise<void> {
    await this.awaitCluster(test);
  }

  async teardown(test: TestContext, node: string): Promise<void> {
    const stops = this.daemons(test, node).map((daemon) => daemon.stop);
    await remoteOf(test, node).exec(
      `${stops.join(' ; ')} ; rm -rf ${shellQuote(this.nodeDir(node))} ${shellQuote(`${this.options.dir}/data/${node}`)} ${shellQuote(`${this.options.dir}/data/etcd/${node}`)}`,
    );
  }

  async isRunning(test: TestContext, node: string): Promise<boolean> {
    const checks = this.daemons(test, node).map((daemon) => `( ${daemon.isRunning} )`);
    const result = await remoteOf(test, node).exec(checks.join(' && '), { check: false });
    return result.exitCode === 0;
  }

  /** The node's processes, named by role: etcd and master, or etcd and region. */
  processes(test: TestContext, node: string): string[] {
    return this.rolesOf(test, node);
  }

  /** By default a crash of the whole node: etcd member and minisql process alike. */
  async kill(test: TestContext, node: string, only?: readonly string[]): Promise<void> {
    await this.onDaemons(test, node, only, (daemon) => daemon.kill, ' ; ');
  }

  async start(test: TestContext, node: string, only?: readonly string[]): Promise<void> {
    await this.onDaemons(test, node, only, (daemon) => daemon.start, ' && ');
  }

  async pause(test: TestContext, node: string, only?: readonly string[]): Promise<void> {
    await this.onDaemons(test, node, only, (daemon) => daemon.signal('STOP'), ' ; ');
  }

  async resume(test: TestContext, node: string, only?: readonly string[]): Promise<void> {
    await this.onDaemons(test, node, only, (daemon) => daemon.signal('CONT'), ' ; ');
  }

  /** The hosts of the groups' primaries, as the master sees them. */
  async primaries(test: TestContext): Promise<string[]> {
    const links = await this.groupHosts(test);
    return [...new Set(links.map((group) => group.primary))].filter((host) => test.nodes.includes(host));
  }

  /** Every (primary host, replica host) pair, replicas still copying included, as the master sees them. */
  async replicaLinks(test: TestContext): Promise<PrimaryReplicaLink[]> {
    const groups = await this.groupHosts(test);
    return groups.flatMap((group) => group.replicas.map((replica): PrimaryReplicaLink => [group.primary, replica]));
  }

  /**
   * A recursive count that never ends, gated on a register table so that it goes to that
   * table's primary; allowed `deadlineMs`. Says what came back and the group's epoch
   * before and after: a database that stops the statement keeps its primary.
   */
  async runaway(test: TestContext, deadlineMs: number): Promise<string> {
    const table = `${REGISTER_TABLE_PREFIX}${this.runaways++ % this.options.tables}`;
    try {
      const client = await this.adminClient(test, { masterFailoverWaitMs: 2_000, retryDeadlineMs: 2_000, statementTimeoutMs: deadlineMs });
      try {
        const epochOf = async () => (await client.clusterStatus()).groups.find((group) => group.tables.includes(table));
        const before = await epochOf();
        const started = Date.now();
        const outcome = await client
          .execute(`with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r where n < (select count(*) from ${table})`)
          .then(
            () => 'returned',
            (error: unknown) => (error instanceof MiniSqlError ? error.code : String(error)),
          );
        const elapsedMs = Date.now() - started;
        const after = await epochOf();
        return `${table} on ${before?.group_id ?? '?'}: ${outcome} after ${elapsedMs} ms; epoch ${before?.epoch ?? '?'} -> ${after?.epoch ?? '?'}`;
      } finally {
        client.close();
      }
    } catch (error) {
      return `${table}: the runaway query could not be sent: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** `switchover gN;` for every group, as the admin: each group's primary hands over to a replica. */
  async switchover(test: TestContext): Promise<string> {
    try {
      const client = await this.adminClient(test, { masterFailoverWaitMs: 2_000, retryDeadlineMs: 2_000 });
      try {
        const groups = (await client.clusterStatus()).groups.filter((group) => group.in_sync.length > 0);
        const outcomes = await Promise.all(
          groups.map((group) =>
            client.execute(`switchover ${group.group_id};`).then(
              (result) => result.message ?? 'done',
              (error: unknown) => `${group.group_id}: ${error instanceof MiniSqlError ? `${error.code}: ${error.message}` : String(error)}`,
            ),
          ),
        );
        return outcomes.length === 0 ? 'no group with an in-sync replica' : outcomes.join('; ');
      } finally {
        client.close();
      }
    } catch (error) {
      return `no switchover: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /**
   * `move table T to gN;` for every table, as the admin, each to the next group after its
   * own (g1 to g2, ..., the last to g1), all at once.
   */
  async moveTables(test: TestContext): Promise<string> {
    try {
      const client = await this.adminClient(test, { masterFailoverWaitMs: 2_000, retryDeadlineMs: 2_000 });
      try {
        const groups = (await client.clusterStatus()).groups
          .map((group) => ({ id: group.group_id, tables: group.tables }))
          .sort((a, b) => compareGroupIds(a.id, b.id));
        if (groups.length < 2) return `no move: ${groups.length} group(s)`;
        const moves = groups.flatMap((group, i) => group.tables.map((table) => ({ table, to: (groups[(i + 1) % groups.length] as { id: string }).id })));
        const outcomes = await Promise.all(
          moves.map(({ table, to }) =>
            client.execute(`move table \`${table}\` to ${to};`).then(
              (result) => result.message ?? 'done',
              (error: unknown) => `${table}: ${error instanceof MiniSqlError ? `${error.code}: ${error.message}` : String(error)}`,
            ),
          ),
        );
        return outcomes.length === 0 ? 'no table to move' : outcomes.join('; ');
      } finally {
        client.close();
      }
    } catch (error) {
      return `no move: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private async groupHosts(test: TestContext): Promise<{ primary: string; replicas: string[] }[]> {
    const client = await this.adminClient(test, { masterFailoverWaitMs: 2_000 });
    try {
      return groupHostsOf(await client.clusterStatus());
    } finally {
      client.close();
    }
  }

  /** `verify` over every table: each in-sync member's copy compared at one log position. */
  async verify(test: TestContext): Promise<DatabaseVerification> {
    const work = (async (): Promise<DatabaseVerification> => {
      const client = await this.adminClient(test, { masterFailoverWaitMs: VERIFY_MS_MAX / 2, retryDeadlineMs: VERIFY_MS_MAX / 2 });
      try {
        // Replicas restarted by the nemesis copy the tables again; compare once they are
        // back in sync, so that every copy counts (bounded: a copy still running is
        // reported as not compared).
        const settleBy = Date.now() + VERIFY_MS_MAX / 2;
        while (Date.now() < settleBy) {
          const status = await client.clusterStatus().catch(() => undefined);
          if (status && status.groups.every((group) => group.catching_up.length === 0 && group.in_sync.length === this.options.replicationFactor - 1)) break;
          await new Promise((resolve) => setTimeout(resolve, PROVISION_RETRY_MS));
        }
        const verifications = await client.verify();
        const compared = verifications.reduce((n, v) => n + v.members.filter((m) => memberVerdict(v, m) !== 'not compared').length, 0);
        const copying = verifications.reduce((n, v) => n + v.catchingUp.length, 0);
        const diverged = divergence(verifications);
        if (diverged) return { equal: false, summary: diverged.message };
        const notCompared = copying === 0 ? '' : ` (${copying} still copying, not compared)`;
        return { equal: true, summary: `${verifications.length} tables, ${compared} copies compared, every one equal to its primary's${notCompared}` };
      } finally {
        client.close();
      }
    })();
    return withDeadline(
      work.catch((error: unknown): DatabaseVerification => ({
        equal: 'unknown',
        summary: `verify could not run: ${error instanceof Error ? error.message : String(error)}`,
      })),
      VERIFY_MS_MAX,
      () => ({ equal: 'unknown', summary: `verify did not finish within ${VERIFY_MS_MAX} ms` }),
    );
  }

  logFiles(test: TestContext, node: string): string[] {
    return this.daemons(test, node).map((daemon) => daemon.logPath);
  }

  async connect(test: TestContext): Promise<StoreConnection> {
    return MinisqlConnection.open(this.masterAddresses(test), this.options, this.certificates(test));
  }

  private nodeDir(node: string): string {
    return `${this.options.dir}/${node}`;
  }

  /** Runs one command per daemon (those named in `only`, or all), joined by `joiner`; nothing when none is named. */
  private async onDaemons(
    test: TestContext,
    node: string,
    only: readonly string[] | undefined,
    command: (daemon: DaemonCommands) => string,
    joiner: string,
  ): Promise<void> {
    const commands = this.daemons(test, node, only).map(command);
    if (commands.length > 0) await remoteOf(test, node).exec(commands.join(joiner));
  }

  private daemons(test: TestContext, node: string, only?: readonly string[]): DaemonCommands[] {
    const remote = remoteOf(test, node);
    const env = {
      THIS_NAME: node,
      THIS_IP: remote.address,
      MINISQL_CONFIG: `${this.options.dir}/minisql.yaml`,
      MINISQL_SKIP_SETUP: '1',
    };
    const roles = this.rolesOf(test, node).filter((role) => !only || only.includes(role));
    return roles.map((role) => daemonCommands({ dir: this.nodeDir(node), name: role, command: [`${this.options.root}/scripts/${role}.sh`], env }));
  }

  /** The cluster configuration, the same file on every node (THIS_NAME picks the host). */
  private clusterConfig(test: TestContext): string {
    const hosts = test.nodes.map((node) => `  - { name: ${node}, ip: ${remoteOf(test, node).address}, roles: [${this.rolesOf(test, node).join(', ')}] }`);
    return [
      `# Written by minisql-jepsen for test ${test.name}.`,
      `leaseTtlSeconds: ${this.options.leaseTtlSeconds}`,
      `replicationFactor: ${this.options.replicationFactor}`,
      `strictReplication: ${this.options.strictReplication}`,
      `dataDir: ${this.options.dir}/data`,
      `certsDir: ${this.options.dir}/certs`,
      'ftp:',
      '  passivePortMin: 30000',
      '  passivePortMax: 30099',
      'ports:',
      `  master: ${MASTER_PORT}`,
      `  region: ${REGION_PORT}`,
      '  ftp: 7021',
      '  status: 8080',
      '  etcdClient: 2379',
      '  etcdPeer: 2380',
      'hosts:',
      ...hosts,
      '',
    ].join('\n');
  }

  private async uploadConfig(test: TestContext, node: string, configPath: string): Promise<void> {
    const remote = remoteOf(test, node);
    const local = await mkdtemp(`${tmpdir()}/minisql-jepsen-config-`);
    try {
      await writeFile(`${local}/minisql.yaml`, this.clusterConfig(test));
      const certsDir = `${this.options.dir}/certs`;
      await remote.exec(`mkdir -p ${shellQuote(this.options.dir)} ${shellQuote(this.nodeDir(node))} ${shellQuote(certsDir)}`);
      await remote.upload(`${local}/minisql.yaml`, configPath);
      // The node gets the authority and its own certificate and key, nothing of the others'.
      const certs = this.certificates(test);
      const own = certificatePaths(certs.dir, node);
      await remote.upload(own.ca, `${certsDir}/${CA_CERT_FILE}`);
      await remote.upload(own.cert, `${certsDir}/${node}.crt`);
      await remote.upload(own.key, `${certsDir}/${node}.key`);
      await remote.exec(`chmod 600 ${shellQuote(`${certsDir}/${node}.key`)}`);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  }

  /** As `npm start` does: etcd's authentication on (each node its own etcd user), and the first admin, whom the tester's clients log in as. */
  private async secureEtcd(test: TestContext): Promise<void> {
    const config = parseClusterConfig(this.clusterConfig(test), `the configuration of test ${test.name}`);
    for (const line of await secureCluster(config, this.certificates(test).dir)) test.log.info(line);
  }

  /** Waits until the master answers and the test's tables exist with their rows. */
  private async awaitCluster(test: TestContext): Promise<void> {
    const deadline = Date.now() + CLUSTER_READY_MS_MAX;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await this.secureEtcd(test);
        await provisionMinisql(this.masterAddresses(test), this.options, this.certificates(test));
        test.log.info(`minisql is up: masters at ${this.masterAddresses(test).join(', ')}, ${this.options.tables} register tables`);
        return;
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, PROVISION_RETRY_MS));
    }
    throw new JepsenError('DB_SETUP_FAILED', `minisql did not accept the test's tables within ${CLUSTER_READY_MS_MAX} ms: ${String(lastError)}`);
  }
}

/**
 * Each group's primary and replicas as nodes, from the master's status. A region whose
 * lease ran out (killed, or cut off: the moment a partition or kill nemesis most wants to
 * act on) is listed with no host (''); a region is named after its host, so its id names
 * the node all the same.
 */
export function groupHostsOf(status: Pick<ClusterStatusResponse__Output, 'regions' | 'groups'>): Array<{ primary: string; replicas: string[] }> {
  const hostOf = (regionId: string) => status.regions.find((region) => region.region_id === regionId)?.host || regionId;
  return status.groups.map((group) => ({ primary: hostOf(group.primary), replicas: [...group.in_sync, ...group.catching_up].map(hostOf) }));
}
