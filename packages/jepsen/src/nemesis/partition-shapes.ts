/**
 * Network partitions as grudges (Jepsen's term): for every node, the set of nodes whose
 * packets it drops. Pure functions of the node list, a random source and, for the
 * primaries shape, the primaries; net-control.ts turns a grudge into firewall rules.
 *
 * Every grudge has an entry for every node (an empty set when it hears everyone). Every
 * shape but one-way is symmetric: if a drops b then b drops a, so a cut link is cut in
 * both directions and neither side can hold a half-open conversation. one-way cuts one
 * direction of one primary-replica link on purpose: the half-open conversation is the
 * fault (a primary whose batches never arrive while the replica's answers would, or a
 * replica that hears its primary and cannot answer).
 */
import { NemesisError } from '../jepsen-errors.js';
import { type Random, randomNonemptySubset, shuffled, pickOne } from '../generator/random-pick.js';

export type PartitionShape = 'one' | 'majority' | 'majorities-ring' | 'minority-third' | 'primaries' | 'halves' | 'bridge' | 'one-way';

export const PARTITION_SHAPES: readonly PartitionShape[] = ['one', 'majority', 'majorities-ring', 'minority-third', 'primaries', 'halves', 'bridge', 'one-way'];

/** A primary and one of its replicas, as the database names them. */
export type PrimaryReplicaLink = readonly [primary: string, replica: string];

/** Node -> the nodes it must not hear from. */
export type Grudge = ReadonlyMap<string, ReadonlySet<string>>;

/** Reads a shape as pyjepsen (`majorities_ring`) or Jepsen (`majorities-ring`) spells it. */
export function parsePartitionShape(name: string): PartitionShape {
  const normalized = name.trim().toLowerCase().replaceAll('_', '-');
  const shape = PARTITION_SHAPES.find((candidate) => candidate === normalized);
  if (!shape) {
    throw new NemesisError('NEMESIS_BAD_VALUE', `unknown partition shape ${JSON.stringify(name)}; shapes are ${PARTITION_SHAPES.join(', ')}`);
  }
  return shape;
}

/** The smallest number of nodes strictly more than half. */
export function majoritySize(nodeCount: number): number {
  return Math.floor(nodeCount / 2) + 1;
}

/** The largest number of nodes strictly less than a third (Jepsen's minority-third). */
export function minorityThirdSize(nodeCount: number): number {
  return Math.max(0, Math.floor((nodeCount - 1) / 3));
}

/**
 * The grudge for `shape` over `nodes`. `primaries` is needed (non-empty, all in `nodes`)
 * only for the primaries shape, `links` only for one-way.
 */
export function grudgeFor(
  shape: PartitionShape,
  nodes: readonly string[],
  random: Random,
  primaries: readonly string[] = [],
  links: readonly PrimaryReplicaLink[] = [],
): Grudge {
  assertDistinct(nodes);
  switch (shape) {
    case 'one': {
      if (nodes.length === 0) return new Map();
      const loner = pickOne(nodes, random);
      return completeGrudge([[loner], nodes.filter((node) => node !== loner)]);
    }
    case 'majority': {
      // Jepsen bisects, which on an even count leaves two equal halves and no majority;
      // here the larger side is always a majority, and halves is the equal split.
      const order = shuffled(nodes, random);
      const minority = nodes.length - majoritySize(nodes.length);
      return completeGrudge([order.slice(0, minority), order.slice(minority)]);
    }
    case 'halves':
      return completeGrudge(bisect(nodes));
    case 'minority-third': {
      const order = shuffled(nodes, random);
      const minority = minorityThirdSize(nodes.length);
      return completeGrudge([order.slice(0, minority), order.slice(minority)]);
    }
    case 'majorities-ring':
      return majoritiesRing(nodes, random);
    case 'bridge':
      return bridge(shuffled(nodes, random));
    case 'primaries':
      return primariesGrudge(nodes, primaries, random);
    case 'one-way':
      return oneWayGrudge(nodes, links, random);
  }
}

/**
 * One random primary-replica link cut in one random direction: the receiving side drops
 * the other's packets and nothing else changes.
 */
function oneWayGrudge(nodes: readonly string[], links: readonly PrimaryReplicaLink[], random: Random): Grudge {
  const known = new Set(nodes);
  const usable = links.filter(([primary, replica]) => primary !== replica && known.has(primary) && known.has(replica));
  if (usable.length === 0)
    throw new NemesisError('NEMESIS_NO_PRIMARIES', `the one-way partition needs a primary and a replica among ${nodes.join(', ')}; the database named none`);
  const [primary, replica] = pickOne(usable, random);
  const [deaf, unheard] = random() < 0.5 ? [replica, primary] : [primary, replica];
  const grudge = new Map<string, ReadonlySet<string>>(nodes.map((node) => [node, new Set<string>()]));
  grudge.set(deaf, new Set([unheard]));
  return grudge;
}

/**
 * Components are groups of nodes that hear each other; every node drops everyone
 * outside its own component.
 */
export function completeGrudge(components: readonly (readonly string[])[]): Grudge {
  const universe = components.flat();
  assertDistinct(universe);
  const grudge = new Map<string, ReadonlySet<string>>();
  for (const component of components) {
    const inside = new Set(component);
    const outside = new Set(universe.filter((node) => !inside.has(node)));
    for (const node of component) grudge.set(node, outside);
  }
  return grudge;
}

/** Jepsen's bisect: the smaller half first. */
function bisect(nodes: readonly string[]): [string[], string[]] {
  const half = Math.floor(nodes.length / 2);
  return [nodes.slice(0, half), nodes.slice(half)];
}

/**
 * Two halves that cannot hear each other, and one node (the first of the larger half)
 * that both hear and that hears both.
 */
function bridge(nodes: readonly string[]): Grudge {
  const [smaller, larger] = bisect(nodes);
  const bridgeNode = larger[0];
  const grudge = new Map<string, ReadonlySet<string>>();
  for (const [node, dropped] of completeGrudge([smaller, larger])) {
    grudge.set(node, node === bridgeNode ? new Set() : new Set([...dropped].filter((other) => other !== bridgeNode)));
  }
  return grudge;
}

/**
 * Every node sees a majority (itself included) and no two nodes see the same set, so no
 * majority can agree on anything without relaying through nodes that others cannot see.
 *
 * Jepsen's original builds each node's view from a window that starts at the node, which
 * is not symmetric (a drops b while b hears a). Here the nodes sit on a ring in random
 * order and each sees its neighbours up to `reach` steps away on both sides, like
 * Jepsen's later "perfect" ring: symmetric by construction. `2 * reach + 1` is at least a
 * majority and, for four nodes or more, less than all, so two different centres give
 * two different arcs. Three nodes cannot form such a ring; a path (cutting one link)
 * gives three distinct majority views. One or two nodes cannot be split this way at
 * all, so they get no cuts.
 */
function majoritiesRing(nodes: readonly string[], random: Random): Grudge {
  const count = nodes.length;
  const ring = shuffled(nodes, random);
  if (count <= 2) return completeGrudge([ring]);
  if (count === 3) {
    const [first, middle, last] = ring as [string, string, string];
    return new Map([
      [first, new Set([last])],
      [middle, new Set<string>()],
      [last, new Set([first])],
    ]);
  }
  const reach = Math.ceil((majoritySize(count) - 1) / 2);
  const grudge = new Map<string, ReadonlySet<string>>();
  ring.forEach((node, position) => {
    const dropped = new Set<string>();
    ring.forEach((other, otherPosition) => {
      const distance = Math.abs(position - otherPosition);
      if (Math.min(distance, count - distance) > reach) dropped.add(other);
    });
    grudge.set(node, dropped);
  });
  return grudge;
}

/**
 * Jepsen's primaries partition: a random non-empty subset of the primaries, each alone in
 * its own component, and every other node together.
 */
function primariesGrudge(nodes: readonly string[], primaries: readonly string[], random: Random): Grudge {
  const known = new Set(nodes);
  const unknown = primaries.filter((node) => !known.has(node));
  if (unknown.length > 0) {
    throw new NemesisError('NEMESIS_BAD_VALUE', `primaries ${unknown.join(', ')} are not test nodes (${nodes.join(', ')})`);
  }
  const candidates = [...new Set(primaries)];
  if (candidates.length === 0) throw new NemesisError('NEMESIS_NO_PRIMARIES', 'the primaries partition needs at least one primary; the database named none');
  const isolated = randomNonemptySubset(candidates, random);
  const rest = nodes.filter((node) => !isolated.includes(node));
  return completeGrudge([...isolated.map((node) => [node]), rest]);
}

/** The nodes `node` still hears, itself included. */
export function visibleFrom(grudge: Grudge, nodes: readonly string[], node: string): Set<string> {
  const dropped = grudge.get(node) ?? new Set<string>();
  return new Set(nodes.filter((other) => !dropped.has(other)));
}

/** True when no node drops anything. */
export function isHealed(grudge: Grudge): boolean {
  for (const dropped of grudge.values()) if (dropped.size > 0) return false;
  return true;
}

/**
 * The grudge as Jepsen prints it in a nemesis completion, with nodes in a stable order:
 * `{host0 #{host3 host4}, host1 #{host3 host4}, ...}`; nodes that drop nothing are left out.
 */
export function describeGrudge(grudge: Grudge): string {
  const entries = [...grudge.entries()]
    .filter(([, dropped]) => dropped.size > 0)
    .sort(([a], [b]) => compareNodes(a, b))
    .map(([node, dropped]) => `${node} #{${[...dropped].sort(compareNodes).join(' ')}}`);
  return `{${entries.join(', ')}}`;
}

/** Natural order, so host10 comes after host9. */
function compareNodes(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function assertDistinct(nodes: readonly string[]): void {
  if (new Set(nodes).size !== nodes.length) {
    throw new NemesisError('NEMESIS_BAD_VALUE', `node list has duplicates: ${nodes.join(', ')}`);
  }
}
