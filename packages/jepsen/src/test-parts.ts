/**
 * From a checked configuration to the parts of a test: how nodes are reached, the
 * database adapter, the nemesis and its schedule, the workload. New databases register
 * here (`DATABASES`); everything else takes them through the Database port.
 */
import { EtcdDatabase, etcdOptions } from './etcd-database.js';
import { MinisqlDatabase, minisqlOptions } from './minisql-database.js';
import { BUMP_CLOCK, ClockNemesis, RESET_CLOCK } from './nemesis-clock.js';
import { noopNemesis } from './nemesis-noop.js';
import { PacketNemesis, START_DELAY, START_LOSS, STOP_DELAY, STOP_LOSS } from './nemesis-packet.js';
import { PartitionNemesis, START_PARTITION, STOP_PARTITION } from './nemesis-partition.js';
import { KILL, killNemesis, PAUSE, pauseNemesis, RESUME, START } from './nemesis-process.js';
import type { Nemesis } from './nemesis.js';
import { NetnsHosts } from './netns-hosts.js';
import type { Remote } from './remote.js';
import { seededRandom } from './seeded-random.js';
import { SshRemote } from './ssh-remote.js';
import type { TestConfig } from './test-config.js';
import type { TestLog } from './test-log.js';
import type { NemesisSchedule, TestParts, WorkloadDatabase } from './test-runner.js';
import { workloadFor } from './workload.js';

/** The built-in database adapters by `database.type`. */
export const DATABASES: Readonly<Record<string, (options: Readonly<Record<string, unknown>>) => WorkloadDatabase>> = {
  etcd: (options) => new EtcdDatabase(etcdOptions(options)),
  minisql: (options) => new MinisqlDatabase(minisqlOptions(options)),
};

export function testParts(config: TestConfig): TestParts {
  const makeDatabase = DATABASES[config.database.type];
  if (!makeDatabase) {
    throw new Error(`INVALID_TEST_CONFIG: database.type ${config.database.type} is not one of ${Object.keys(DATABASES).join(', ')}`);
  }
  // The nemesis draws from its own seeded stream, so adding client ops does not change its choices.
  const { nemesis, schedule } = nemesisFor(config, seededRandom(config.seed ^ 0x5eed));
  return {
    config,
    openNodes: (log) => openNodes(config, log),
    db: makeDatabase(config.database),
    nemesis,
    ...(schedule ? { schedule } : {}),
    workload: workloadFor(config),
  };
}

export function nemesisFor(config: TestConfig, random: () => number): { nemesis: Nemesis; schedule?: NemesisSchedule } {
  const { mode, partitionMethod, targets, delayMs, lossPercent, clockStepSeconds } = config.nemesis;
  switch (mode) {
    case 'none':
      return { nemesis: noopNemesis };
    case 'partition':
      return { nemesis: new PartitionNemesis({ random, shape: partitionMethod }), schedule: { startF: START_PARTITION, stopF: STOP_PARTITION } };
    case 'kill':
      return { nemesis: killNemesis({ random, targets }), schedule: { startF: KILL, stopF: START } };
    case 'pause':
      return { nemesis: pauseNemesis({ random, targets }), schedule: { startF: PAUSE, stopF: RESUME } };
    case 'delay':
      return { nemesis: new PacketNemesis({ random, delayMs }), schedule: { startF: START_DELAY, stopF: STOP_DELAY } };
    case 'loss':
      return { nemesis: new PacketNemesis({ random, lossPercent }), schedule: { startF: START_LOSS, stopF: STOP_LOSS } };
    case 'clock':
      return { nemesis: new ClockNemesis({ stepSeconds: clockStepSeconds }), schedule: { startF: BUMP_CLOCK, stopF: RESET_CLOCK } };
  }
}

async function openNodes(config: TestConfig, log: TestLog): Promise<{ remotes: Map<string, Remote>; close(): Promise<void> }> {
  if (config.remote === 'ssh') {
    const remotes = new Map<string, Remote>(
      config.servers.map((server) => [
        server.name,
        new SshRemote({
          node: server.name,
          hostname: server.hostname,
          port: server.port,
          username: server.username,
          ...(server.password === undefined ? {} : { password: server.password }),
          ...(server.privateKeyPath === undefined ? {} : { privateKeyPath: server.privateKeyPath }),
        }),
      ]),
    );
    log.info(`Nodes over SSH: ${config.servers.map((server) => `${server.name} (${server.username}@${server.hostname}:${server.port})`).join(', ')}`);
    return { remotes, close: async () => void (await Promise.all([...remotes.values()].map((remote) => remote.close()))) };
  }
  const hosts = new NetnsHosts({ hostCount: config.hostCount });
  log.info(`Creating ${config.hostCount} namespace hosts`);
  await hosts.create();
  log.info(`Hosts: ${hosts.hosts.map((host) => `${host.node} ${host.address}`).join(', ')}`);
  return {
    remotes: hosts.remotes(),
    close: async () => {
      log.info('Removing the namespace hosts');
      await hosts.destroy();
    },
  };
}
