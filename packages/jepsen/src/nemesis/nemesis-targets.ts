/**
 * Which nodes a kill, pause or packet fault acts on (Jepsen's node specs). The choice is
 * pure (selectTargets); only currentPrimaries and chooseTargets ask the database.
 */
import { NemesisError } from '../jepsen-errors.js';
import { majoritySize, minorityThirdSize } from './partition-shapes.js';
import { type Random, pickOne, shuffled } from '../generator/random-pick.js';
import type { TestContext } from '../test-context.js';

export type TargetSpecName = 'one' | 'minority' | 'majority' | 'minority-third' | 'all' | 'primaries';

/** A named spec, or the nodes themselves. */
export type TargetSpec = TargetSpecName | readonly string[];

export const TARGET_SPEC_NAMES: readonly TargetSpecName[] = ['one', 'minority', 'majority', 'minority-third', 'all', 'primaries'];

/**
 * Reads a spec from an op value: a name (underscores allowed), a list of node names, or
 * null for `fallback`.
 */
export function parseTargetSpec(value: unknown, fallback: TargetSpec): TargetSpec {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') {
    const normalized = value.trim().toLowerCase().replaceAll('_', '-');
    const name = TARGET_SPEC_NAMES.find((candidate) => candidate === normalized);
    if (name) return name;
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new NemesisError('NEMESIS_BAD_VALUE', `cannot target ${JSON.stringify(value)}; use one of ${TARGET_SPEC_NAMES.join(', ')} or a list of nodes`);
}

/** Whether choosing these targets needs the database's primaries. */
export function needsPrimaries(spec: TargetSpec): boolean {
  return spec === 'primaries';
}

/**
 * The nodes `spec` names: one random node, a random minority (the largest group short
 * of a majority, at least one node), a random majority, a random group strictly under a
 * third, every node, or the primaries. Never an empty list for a non-empty cluster,
 * except minority-third on three nodes or fewer, where no such group exists.
 */
export function selectTargets(spec: TargetSpec, nodes: readonly string[], random: Random, primaries: readonly string[] = []): string[] {
  if (nodes.length === 0) return [];
  if (typeof spec !== 'string') {
    const known = new Set(nodes);
    const unknown = spec.filter((node) => !known.has(node));
    if (unknown.length > 0)
      throw new NemesisError('NEMESIS_BAD_VALUE', `targets ${unknown.join(', ')} are not among the nodes this fault can hit (${nodes.join(', ')})`);
    return [...new Set(spec)];
  }
  switch (spec) {
    case 'one':
      return [pickOne(nodes, random)];
    case 'minority':
      return shuffled(nodes, random).slice(0, Math.max(1, majoritySize(nodes.length) - 1));
    case 'majority':
      return shuffled(nodes, random).slice(0, majoritySize(nodes.length));
    case 'minority-third':
      return shuffled(nodes, random).slice(0, minorityThirdSize(nodes.length));
    case 'all':
      return [...nodes];
    case 'primaries': {
      const known = new Set(nodes);
      const chosen = [...new Set(primaries)].filter((node) => known.has(node));
      if (chosen.length === 0)
        throw new NemesisError('NEMESIS_NO_PRIMARIES', 'targets "primaries" asked for, and the database named no primary among the test nodes');
      return chosen;
    }
  }
}

/**
 * The database's primaries now, among the test's nodes. NEMESIS_UNSUPPORTED when the
 * adapter cannot say, NEMESIS_NO_PRIMARIES when it names none (an election in progress).
 */
export async function currentPrimaries(test: TestContext): Promise<string[]> {
  if (!test.db.primaries) throw new NemesisError('NEMESIS_UNSUPPORTED', `the ${test.db.name} adapter does not implement primaries()`);
  const known = new Set(test.nodes);
  const primaries = (await test.db.primaries(test)).filter((node) => known.has(node));
  if (primaries.length === 0) throw new NemesisError('NEMESIS_NO_PRIMARIES', `the ${test.db.name} adapter named no primary among ${test.nodes.join(', ')}`);
  return primaries;
}

/**
 * The targets of `spec` among `nodes` (default: every test node), asking the database
 * only when the spec needs primaries.
 */
export async function chooseTargets(test: TestContext, spec: TargetSpec, random: Random, nodes: readonly string[] = test.nodes): Promise<string[]> {
  const primaries = needsPrimaries(spec) ? await currentPrimaries(test) : [];
  return selectTargets(spec, nodes, random, primaries);
}
