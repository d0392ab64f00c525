/**
 * From a checked configuration to the parts of a test: how nodes are reached, the
 * database adapter, the nemesis and its schedule, the workload. New databases register
 * here (`DATABASES`); everything else takes them through the Database port.
 */
import { EtcdDatabase, etcdOptions } from './db/etcd-database.js';
import { MinisqlDatabase, minisqlOptions } from './db/minisql-database.js';
import { BUMP_CLOCK, ClockNemesis, RESET_CLOCK } from './nemesis/nemesis-clock.js';
import { composeNemeses } from './nemesis/nemesis-compose.js';
import { noopNemesis } from './nemesis/nemesis-noop.js';
import { PacketNemesis, START_DELAY, START_LOSS, STOP_DELAY, STOP_LOSS } from './nemesis/nemesis-packet.js';
import { PartitionNemesis, START_PARTITION, STOP_PARTITION } from './nemesis/nemesis-partition.js';
import { KILL, killNemesis, PAUSE, pauseNemesis, RESUME, START } from './nemesis/nemesis-process.js';
import { RunawayNemesis, START_RUNAWAY, STOP_RUNAWAY } from './nemesis/nemesis-runaway.js';
import { MoveNemesis, START_MOVE, START_SWITCHOVER, STOP_MOVE, STOP_SWITCHOVER, SwitchoverNemesis } from './nemesis/nemesis-switchover.js';
import type { Nemesis } from './nemesis/nemesis.js';
import { NetnsHosts } from './control/netns-hosts.js';
import type { Remote } from './control/remote.js';
import { seededRandom } from '@minisql/common';
import { SshRemote } from './control/ssh-remote.js';
import { processMode, type TestConfig } from './test-config.js';
import type { TestLog } from './store/test-log.js';
import type { NemesisSchedule, TestParts, WorkloadDatabase } from './test-runner.js';
import { workloadFor } from './workload/workload.js';
import { JepsenError } from './jepsen-errors.js';

/** The built-in database adapters by `database.type`. */
export const DATABASES: Readonly<Record<string, (options: Readonly<Record<string, unknown>>) => WorkloadDatabase>> = {
  etcd: (options) => new EtcdDatabase(etcdOptions(options)),
  minisql: (options) => new MinisqlDatabase(minisqlOptions(options)),
};

export function testParts(config: TestConfig): TestParts {
  const makeDatabase = DATABASES[config.database.type];
  if (!makeDatabase) {
    throw new JepsenError('INVALID_TEST_CONFIG', `database.type ${config.database.type} is not one of ${Object.keys(DATABASES).join(', ')}`);
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

/**
 * The nemesis for the configured modes (composed when there are several) and the
 * schedule of faults: one per mode, a partition fault per partition method, in turn.
 */
export function nemesisFor(config: TestConfig, random: () => number): { nemesis: Nemesis; schedule?: NemesisSchedule[] } {
  const { targets, processes, delayMs, lossPercent, clockStepSeconds, partitionMethods, partitionActions } = config.nemesis;
  const modes = [...new Set(config.nemesis.modes)].filter((mode) => mode !== 'none');
  if (modes.length === 0) return { nemesis: noopNemesis };
  const nemeses: Nemesis[] = [];
  const schedule: NemesisSchedule[] = [];
  for (const mode of modes) {
    const qualified = processMode(mode);
    if (qualified) {
      // kill:master -> kill-master / start-master, hitting only the master processes.
      const { fault, process } = qualified;
      const make = fault === 'kill' ? killNemesis : pauseNemesis;
      nemeses.push(make({ random, targets, processes: [process], opSuffix: process }));
      schedule.push(
        fault === 'kill' ? { startF: `${KILL}-${process}`, stopF: `${START}-${process}` } : { startF: `${PAUSE}-${process}`, stopF: `${RESUME}-${process}` },
      );
      continue;
    }
    switch (mode) {
      case 'partition':
        nemeses.push(new PartitionNemesis({ random, shape: partitionMethods[0]!, shapes: partitionMethods }));
        for (const method of partitionMethods) {
          for (const action of partitionActions)
            schedule.push({ startF: START_PARTITION, stopF: STOP_PARTITION, startValue: action === 'drop' ? method : `${method}:${action}` });
        }
        break;
      case 'kill':
        nemeses.push(killNemesis({ random, targets, processes }));
        schedule.push({ startF: KILL, stopF: START });
        break;
      case 'pause':
        nemeses.push(pauseNemesis({ random, targets, processes }));
        schedule.push({ startF: PAUSE, stopF: RESUME });
        break;
      case 'delay':
      case 'loss':
        // One packet nemesis serves both modes (it owns the node's qdisc and loss chain).
        if (!nemeses.some((nemesis) => nemesis instanceof PacketNemesis)) {
          nemeses.push(new PacketNemesis({ random, ...(modes.includes('delay') ? { delayMs } : {}), ...(modes.includes('loss') ? { lossPercent } : {}) }));
        }
        schedule.push(mode === 'delay' ? { startF: START_DELAY, stopF: STOP_DELAY } : { startF: START_LOSS, stopF: STOP_LOSS });
        break;
      case 'clock':
        nemeses.push(new ClockNemesis({ stepSeconds: clockStepSeconds }));
        schedule.push({ startF: BUMP_CLOCK, stopF: RESET_CLOCK });
        break;
      case 'runaway':
        nemeses.push(new RunawayNemesis());
        schedule.push({ startF: START_RUNAWAY, stopF: STOP_RUNAWAY });
        break;
      case 'switchover':
        nemeses.push(new SwitchoverNemesis());
        schedule.push({ startF: START_SWITCHOVER, stopF: STOP_SWITCHOVER });
        break;
      case 'move':
        nemeses.push(new MoveNemesis());
        schedule.push({ startF: START_MOVE, stopF: STOP_MOVE });
        break;
    }
  }
  return { nemesis: nemeses.length === 1 ? nemeses[0]! : composeNemeses(nemeses), schedule };
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
