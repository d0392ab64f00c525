/**
 * The shape shared by every fault that hits chosen nodes and is later healed on them:
 * kill/start, pause/resume, start-delay/stop-delay, start-loss/stop-loss. The op that
 * injects names its targets in its value (a TargetSpec, or null for the configured
 * one); the op that heals acts on every node injected and not yet healed; teardown heals
 * whatever is left. A NodeFault says how to inject and heal on one node.
 */
import { NemesisError } from '../jepsen-errors.js';
import { healEverywhere, nemesisCompletion, onNodes } from './nemesis-outcome.js';
import { type TargetSpec, chooseTargets, needsPrimaries, parseTargetSpec } from './nemesis-targets.js';
import type { Nemesis } from './nemesis.js';
import type { Op } from '@minisql/checker';
import type { Random } from '../generator/random-pick.js';
import type { TestContext } from '../test-context.js';

/** One kind of fault on one node. */
export interface NodeFault {
  /** For messages: "kill nemesis". */
  readonly name: string;
  /** The op that injects it, e.g. kill. */
  readonly faultF: string;
  /** The op that heals it, e.g. start. */
  readonly healF: string;
  /** Checks that the fault can be carried out here, and clears any left from before; throws NemesisError otherwise. */
  setup(test: TestContext): Promise<void>;
  inject(test: TestContext, node: string): Promise<void>;
  /** Must succeed on a node already healed. */
  heal(test: TestContext, node: string): Promise<void>;
  /** The nodes it can hit (default: every test node); targets are chosen among them. */
  candidates?(test: TestContext): string[];
  /**
   * After a failed inject: whether the node may be faulted anyway and needs a heal.
   * Default: yes (right for heals that are harmless on a healthy node).
   */
  mayBeHarmed?(test: TestContext, node: string): Promise<boolean>;
}

export interface TargetedNemesisOptions {
  /** Chooses the targets; seeded by the runner. */
  random: Random;
  /** Targets when an op's value is null. */
  targets: TargetSpec;
}

export class TargetedNemesis implements Nemesis {
  readonly fs: readonly string[];
  private readonly random: Random;
  private readonly targets: TargetSpec;
  /** Nodes injected and not yet healed, in the order they were hit. */
  private readonly harmed = new Set<string>();

  constructor(
    private readonly fault: NodeFault,
    options: TargetedNemesisOptions,
  ) {
    this.fs = Object.freeze([fault.faultF, fault.healF]);
    this.random = options.random;
    this.targets = options.targets;
  }

  async setup(test: TestContext): Promise<void> {
    if (needsPrimaries(this.targets) && !test.db.primaries) {
      throw new NemesisError('NEMESIS_UNSUPPORTED', `targets "primaries" need the ${test.db.name} adapter to implement primaries()`);
    }
    await this.fault.setup(test);
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    if (op.f === this.fault.faultF) return this.inject(test, op);
    if (op.f === this.fault.healF) {
      const { done, failed } = await onNodes([...this.harmed], (node) => this.fault.heal(test, node));
      for (const node of done) this.harmed.delete(node);
      return nemesisCompletion(op, done, done, failed);
    }
    throw new NemesisError('NEMESIS_UNKNOWN_F', `the ${this.fault.name} does not handle f ${JSON.stringify(op.f)} (it handles ${this.fs.join(', ')})`);
  }

  async teardown(test: TestContext): Promise<void> {
    await healEverywhere(test, this.fault.name, [...this.harmed], this.harmed, (node) => this.fault.heal(test, node));
  }

  private async inject(test: TestContext, op: Op): Promise<Op> {
    const spec = parseTargetSpec(op.value, this.targets);
    let targets: string[];
    try {
      targets = await chooseTargets(test, spec, this.random, this.fault.candidates?.(test) ?? test.nodes);
    } catch (error) {
      // No primary right now (an election) is a moment of the test, not a broken test.
      if (error instanceof NemesisError && error.code !== 'NEMESIS_NO_PRIMARIES') throw error;
      return nemesisCompletion(op, [], [], new Map([['targets', error as Error]]));
    }
    const { done, failed } = await onNodes(targets, async (node) => {
      try {
        await this.fault.inject(test, node);
      } catch (error) {
        const harmed = await (this.fault.mayBeHarmed?.(test, node) ?? Promise.resolve(true)).catch(() => true);
        if (harmed) this.harmed.add(node);
        throw error;
      }
      this.harmed.add(node);
    });
    return nemesisCompletion(op, done, done, failed);
  }
}
