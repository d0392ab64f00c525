/**
 * Network partitions: `start-partition` cuts the network into the shape named by the op's
 * value (or the configured shape when the value is null), `stop-partition` heals it.
 * Jepsen's partitioner with its partition specs; the grudge is computed by
 * partition-shapes.ts and applied by net-control.ts.
 */
import { NemesisError } from './jepsen-errors.js';
import { healEverywhere, nemesisCompletion, onNodes } from './nemesis-outcome.js';
import { currentPrimaries } from './nemesis-targets.js';
import type { Nemesis } from './nemesis.js';
import { NetControl } from './net-control.js';
import type { Op } from './op.js';
import { type PartitionShape, describeGrudge, grudgeFor, isHealed, parsePartitionShape } from './partition-shapes.js';
import type { Random } from './random-pick.js';
import { type TestContext, remoteOf } from './test-context.js';

export const START_PARTITION = 'start-partition';
export const STOP_PARTITION = 'stop-partition';

export interface PartitionNemesisOptions {
  /** Chooses the nodes of each partition; seeded by the runner. */
  random: Random;
  /** The shape used when an op's value is null. Default majority. */
  shape?: PartitionShape;
  /** Default: a NetControl with default options. */
  net?: NetControl;
}

export class PartitionNemesis implements Nemesis {
  readonly fs = [START_PARTITION, STOP_PARTITION] as const;
  private readonly random: Random;
  private readonly shape: PartitionShape;
  private readonly net: NetControl;
  /** Nodes that may hold drop rules of ours: set before applying, cleared once healed. */
  private readonly harmed = new Set<string>();

  constructor(options: PartitionNemesisOptions) {
    this.random = options.random;
    this.shape = options.shape ?? 'majority';
    this.net = options.net ?? new NetControl();
  }

  async setup(test: TestContext): Promise<void> {
    if (this.shape === 'primaries' && !test.db.primaries) {
      throw new NemesisError('NEMESIS_UNSUPPORTED', `the primaries partition needs the ${test.db.name} adapter to implement primaries()`);
    }
    // Start from a fully connected network, as Jepsen's partitioner does.
    const { failed } = await onNodes(test.nodes, (node) => this.net.heal(remoteOf(test, node)));
    if (failed.size > 0) {
      throw new NemesisError('NEMESIS_UNSUPPORTED', `cannot control the firewall on ${[...failed.keys()].join(', ')}: ${[...failed.values()][0]?.message}`);
    }
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    switch (op.f) {
      case START_PARTITION:
        return this.start(test, op);
      case STOP_PARTITION: {
        const { done, failed } = await onNodes(test.nodes, (node) => this.net.heal(remoteOf(test, node)));
        for (const node of done) this.harmed.delete(node);
        return nemesisCompletion(op, failed.size === 0 ? 'fully connected' : 'partly healed', [], failed);
      }
      default:
        throw new NemesisError('NEMESIS_UNKNOWN_F', `the partition nemesis does not handle f ${JSON.stringify(op.f)} (it handles ${this.fs.join(', ')})`);
    }
  }

  async teardown(test: TestContext): Promise<void> {
    await healEverywhere(test, 'partition nemesis', test.nodes, this.harmed, (node) => this.net.removeChain(remoteOf(test, node)));
  }

  private async start(test: TestContext, op: Op): Promise<Op> {
    if (op.value !== null && typeof op.value !== 'string') {
      throw new NemesisError('NEMESIS_BAD_VALUE', `${START_PARTITION} takes a shape name or null, not ${JSON.stringify(op.value)}`);
    }
    const shape = op.value === null ? this.shape : parsePartitionShape(op.value);
    let primaries: string[] = [];
    if (shape === 'primaries') {
      try {
        primaries = await currentPrimaries(test);
      } catch (error) {
        // No primary right now (an election) is a moment of the test, not a broken test.
        if (error instanceof NemesisError && error.code !== 'NEMESIS_NO_PRIMARIES') throw error;
        return nemesisCompletion(op, `${shape}: nothing cut`, [], new Map([['primaries', error as Error]]));
      }
    }
    const grudge = grudgeFor(shape, test.nodes, this.random, primaries);
    if (isHealed(grudge)) return nemesisCompletion(op, `${shape}: nothing to cut among ${test.nodes.length} nodes`, []);
    const { failed } = await onNodes(test.nodes, async (node) => {
      const dropped = [...(grudge.get(node) ?? [])].map((other) => remoteOf(test, other).address);
      const remote = remoteOf(test, node);
      if (dropped.length === 0 && !this.harmed.has(node)) return;
      this.harmed.add(node);
      await this.net.drop(remote, dropped);
    });
    return nemesisCompletion(op, `${shape}: cut off ${describeGrudge(grudge)}`, [], failed);
  }
}
