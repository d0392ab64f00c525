/**
 * Slow and lossy networks (Jepsen's slow! and flaky!): `start-delay` makes the targeted
 * nodes send every packet late (tc netem), `start-loss` makes them lose a share of the
 * packets they receive (iptables statistic); `stop-delay` and `stop-loss` heal. Delay and
 * loss use different mechanisms, so either can be on without the other and each heal
 * removes only its own. Targets as in nemesis-targeted.ts; by default all nodes.
 */
import { ComposedNemesis } from './nemesis-compose.js';
import { NemesisError } from '../jepsen-errors.js';
import { onNodes } from './nemesis-outcome.js';
import { type NodeFault, TargetedNemesis } from './nemesis-targeted.js';
import type { TargetSpec } from './nemesis-targets.js';
import { type DelaySettings, NetControl } from '../control/net-control.js';
import type { Random } from '../generator/random-pick.js';
import { type TestContext, remoteOf } from '../test-context.js';

export const START_DELAY = 'start-delay';
export const STOP_DELAY = 'stop-delay';
export const START_LOSS = 'start-loss';
export const STOP_LOSS = 'stop-loss';

interface PacketFaultOptions {
  /** Chooses the targets; seeded by the runner. */
  random: Random;
  /** Targets when an op's value is null. Default all. */
  targets?: TargetSpec;
  /** Default: a NetControl with default options. */
  net?: NetControl;
}

export interface DelayNemesisOptions extends PacketFaultOptions {
  /** Latency added to every packet the targets send. Default 50 ms, as Jepsen's slow!. */
  delayMs?: number;
  /** Spread of that latency (normal distribution). Default 10 ms, as Jepsen's; 0 for exact delays. */
  jitterMs?: number;
}

export interface LossNemesisOptions extends PacketFaultOptions {
  /** Share of the packets the targets receive that are dropped. Default 20 %, as Jepsen's flaky!. */
  lossPercent?: number;
}

/** Clears `heal` on every node before the run, so the test starts from a clean network. */
async function clearEverywhere(test: TestContext, what: string, heal: (node: string) => Promise<void>): Promise<void> {
  const { failed } = await onNodes(test.nodes, heal);
  if (failed.size > 0) {
    throw new NemesisError('NEMESIS_UNSUPPORTED', `cannot control ${what} on ${[...failed.keys()].join(', ')}: ${[...failed.values()][0]?.message}`);
  }
}

export function delayNemesis(options: DelayNemesisOptions): TargetedNemesis {
  const net = options.net ?? new NetControl();
  const settings: DelaySettings = Object.freeze({ delayMs: options.delayMs ?? 50, jitterMs: options.jitterMs ?? 10 });
  const fault: NodeFault = {
    name: 'delay nemesis',
    faultF: START_DELAY,
    healF: STOP_DELAY,
    async setup(test) {
      const lacking: string[] = [];
      await Promise.all(
        test.nodes.map(async (node) => {
          if (!(await net.supportsDelay(remoteOf(test, node)))) lacking.push(node);
        }),
      );
      if (lacking.length > 0) {
        throw new NemesisError(
          'NEMESIS_UNSUPPORTED',
          `the delay nemesis needs tc netem, and the kernel of ${lacking.sort().join(', ')} has none (CONFIG_NET_SCH_NETEM is off); ` +
            'use a kernel with sch_netem, or another nemesis mode',
        );
      }
      await clearEverywhere(test, 'packet delay (tc)', (node) => net.setDelay(remoteOf(test, node), null));
    },
    inject: (test, node) => net.setDelay(remoteOf(test, node), settings),
    heal: (test, node) => net.setDelay(remoteOf(test, node), null),
  };
  return new TargetedNemesis(fault, { random: options.random, targets: options.targets ?? 'all' });
}

export function lossNemesis(options: LossNemesisOptions): TargetedNemesis {
  const net = options.net ?? new NetControl();
  const lossPercent = options.lossPercent ?? 20;
  const fault: NodeFault = {
    name: 'loss nemesis',
    faultF: START_LOSS,
    healF: STOP_LOSS,
    setup: (test) => clearEverywhere(test, 'packet loss (iptables)', (node) => net.setLoss(remoteOf(test, node), null)),
    inject: (test, node) => net.setLoss(remoteOf(test, node), lossPercent),
    heal: (test, node) => net.setLoss(remoteOf(test, node), null),
  };
  return new TargetedNemesis(fault, { random: options.random, targets: options.targets ?? 'all' });
}

export interface PacketNemesisOptions extends DelayNemesisOptions, LossNemesisOptions {
  /**
   * Which faults it handles. Default: delay when delayMs is given, loss when lossPercent
   * is given, both when neither is. Only the faults handled are checked at setup, so a
   * loss-only nemesis runs on a kernel without netem.
   */
  faults?: readonly ('delay' | 'loss')[];
}

/** Delay and loss as one nemesis (Jepsen's packet nemesis): start-delay, stop-delay, start-loss, stop-loss. */
export class PacketNemesis extends ComposedNemesis {
  constructor(options: PacketNemesisOptions) {
    const net = options.net ?? new NetControl();
    const inferred: ('delay' | 'loss')[] = [];
    if (options.delayMs !== undefined) inferred.push('delay');
    if (options.lossPercent !== undefined) inferred.push('loss');
    const faults = new Set(options.faults ?? (inferred.length > 0 ? inferred : ['delay', 'loss']));
    super([...(faults.has('delay') ? [delayNemesis({ ...options, net })] : []), ...(faults.has('loss') ? [lossNemesis({ ...options, net })] : [])]);
  }
}
