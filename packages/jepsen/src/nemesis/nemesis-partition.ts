/**
 * Network partitions: `start-partition` cuts the network into the shape named by the op's
 * value (or the configured shape when the value is null), `stop-partition` heals it.
 * Jepsen's partitioner with its partition specs; the grudge is computed by
 * partition-shapes.ts and applied by net-control.ts.
 *
 * The value is a shape, or a shape and a cut action: `majority` drops packets,
 * `majority:reject` refuses them (TCP reset), so a node sees a refused connection where
 * it would otherwise see silence.
 */
import { NemesisError } from '../jepsen-errors.js';
import { healEverywhere, nemesisCompletion, onNodes } from './nemesis-outcome.js';
import { currentPrimaries } from './nemesis-targets.js';
import type { Nemesis } from './nemesis.js';
import { CUT_ACTIONS, type CutAction, NetControl } from '../control/net-control.js';
import type { Op } from '@minisql/checker';
import { type PartitionShape, type PrimaryReplicaLink, describeGrudge, grudgeFor, isHealed, parsePartitionShape } from './partition-shapes.js';
import type { Random } from '../generator/random-pick.js';
import { type TestContext, remoteOf } from '../test-context.js';

export const START_PARTITION = 'start-partition';
export const STOP_PARTITION = 'stop-partition';

export interface PartitionNemesisOptions {
  /** Chooses the nodes of each partition; seeded by the runner. */
  random: Random;
  /** The shape used when an op's value is null. Default majority. */
  shape?: PartitionShape;
  /** Every shape the ops will name, checked against the database at setup. Default: `shape`. */
  shapes?: readonly PartitionShape[];
  /** Default: a NetControl with default options. */
  net?: NetControl;
}

export class PartitionNemesis implements Nemesis {
  readonly fs = [START_PARTITION, STOP_PARTITION] as const;
  private readonly random: Random;
  private readonly shape: PartitionShape;
  private readonly shapes: readonly PartitionShape[];
  private readonly net: NetControl;
  /** Nodes that may hold drop rules of ours: set before applying, cleared once healed. */
  private readonly harmed = new Set<string>();

  constructor(options: PartitionNemesisOptions) {
    this.random = options.random;
    this.shape = options.shape ?? 'majority';
    this.shapes = options.shapes ?? [this.shape];
    this.net = options.net ?? new NetControl();
  }

  async setup(test: TestContext): Promise<void> {
    if (this.shapes.includes('primaries') && !test.db.primaries) {
      throw new NemesisError('NEMESIS_UNSUPPORTED', `the primaries partition needs the ${test.db.name} adapter to implement primaries()`);
    }
    if (this.shapes.includes('one-way') && !test.db.replicaLinks) {
      throw new NemesisError('NEMESIS_UNSUPPORTED', `the one-way partition needs the ${test.db.name} adapter to implement replicaLinks()`);
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
      throw new NemesisError('NEMESIS_BAD_VALUE', `${START_PARTITION} takes a shape name (and :drop or :reject), or null, not ${JSON.stringify(op.value)}`);
    }
    const { shape, action } = op.value === null ? { shape: this.shape, action: 'drop' as const } : parsePartitionValue(op.value);
    const label = action === 'drop' ? shape : `${shape}:${action}`;
    let primaries: string[] = [];
    let links: PrimaryReplicaLink[] = [];
    try {
      if (shape === 'primaries') primaries = await currentPrimaries(test);
      if (shape === 'one-way') links = await currentLinks(test);
    } catch (error) {
      // No primary right now (an election) is a moment of the test, not a broken test.
      if (error instanceof NemesisError && error.code !== 'NEMESIS_NO_PRIMARIES') throw error;
      return nemesisCompletion(op, `${label}: nothing cut (${(error as Error).message})`, [], new Map([['primaries', error as Error]]));
    }
    const grudge = grudgeFor(shape, test.nodes, this.random, primaries, links);
    if (isHealed(grudge)) return nemesisCompletion(op, `${label}: nothing to cut among ${test.nodes.length} nodes`, []);
    const { failed } = await onNodes(test.nodes, async (node) => {
      const dropped = [...(grudge.get(node) ?? [])].map((other) => remoteOf(test, other).address);
      const remote = remoteOf(test, node);
      if (dropped.length === 0 && !this.harmed.has(node)) return;
      this.harmed.add(node);
      await this.net.drop(remote, dropped, action);
    });
    return nemesisCompletion(op, `${label}: cut off ${describeGrudge(grudge)}`, [], failed);
  }
}

/** `majority`, `majority:drop` or `majority:reject`. */
export function parsePartitionValue(value: string): { shape: PartitionShape; action: CutAction } {
  const [shapeName = '', actionName = 'drop', ...rest] = value.split(':');
  const action = CUT_ACTIONS.find((candidate) => candidate === actionName.trim().toLowerCase());
  if (!action || rest.length > 0) {
    throw new NemesisError('NEMESIS_BAD_VALUE', `partition ${JSON.stringify(value)}: the cut after ":" must be one of ${CUT_ACTIONS.join(', ')}`);
  }
  return { shape: parsePartitionShape(shapeName), action };
}

/** The database's primary-replica links now, among the test's nodes. */
async function currentLinks(test: TestContext): Promise<PrimaryReplicaLink[]> {
  if (!test.db.replicaLinks) throw new NemesisError('NEMESIS_UNSUPPORTED', `the ${test.db.name} adapter does not implement replicaLinks()`);
  const known = new Set(test.nodes);
  const links = (await test.db.replicaLinks(test)).filter(([primary, replica]) => known.has(primary) && known.has(replica));
  if (links.length === 0)
    throw new NemesisError('NEMESIS_NO_PRIMARIES', `the ${test.db.name} adapter named no primary with a replica among ${test.nodes.join(', ')}`);
  return links;
}
