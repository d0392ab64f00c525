/**
 * How nemeses act on several nodes at once and report it: every node is tried even when
 * another fails, the completion names what was done and what failed, and teardown heals
 * everywhere, failing only for nodes it had harmed.
 */
import { NemesisError } from '../jepsen-errors.js';
import type { Op, OpValue } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export interface NodesOutcome {
  /** Nodes where the action succeeded, in the order given. */
  readonly done: string[];
  /** Nodes where it failed, with why. */
  readonly failed: Map<string, Error>;
}

/** Runs `action` on every node concurrently and waits for all of them. */
export async function onNodes(nodes: readonly string[], action: (node: string) => Promise<void>): Promise<NodesOutcome> {
  const results = await Promise.allSettled(nodes.map((node) => action(node)));
  const done: string[] = [];
  const failed = new Map<string, Error>();
  results.forEach((result, index) => {
    const node = nodes[index] as string;
    if (result.status === 'fulfilled') done.push(node);
    else failed.set(node, result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
  });
  return { done, failed };
}

/** "host1: why; host3: why" */
export function describeFailures(failed: ReadonlyMap<string, Error>): string {
  return [...failed].map(([node, error]) => `${node}: ${error.message}`).join('; ');
}

/**
 * The nemesis's completion of `op`: always `info` (a fault's effect on the database is
 * never certain), with `value`, the nodes acted on, and the failures if any.
 */
export function nemesisCompletion(op: Op, value: OpValue, nodes: readonly string[], failed?: ReadonlyMap<string, Error>): Op {
  const completion: Op = { ...op, type: 'info', value };
  if (nodes.length > 0) completion.node = nodes.join(',');
  else delete completion.node;
  if (failed && failed.size > 0) completion.error = describeFailures(failed);
  else delete completion.error;
  return completion;
}

/**
 * Heals every node. A failure on a node in `harmed` means a fault may still be in place:
 * after trying every node, teardown throws NEMESIS_HEAL_FAILED naming them. A failure on
 * a node never harmed is only logged, so teardown never fails where nothing was done.
 * Healed nodes are removed from `harmed`.
 */
export async function healEverywhere(
  test: TestContext,
  what: string,
  nodes: readonly string[],
  harmed: Set<string>,
  heal: (node: string) => Promise<void>,
): Promise<void> {
  const { done, failed } = await onNodes(nodes, heal);
  for (const node of done) harmed.delete(node);
  const unhealed = new Map([...failed].filter(([node]) => harmed.has(node)));
  const harmless = new Map([...failed].filter(([node]) => !harmed.has(node)));
  if (harmless.size > 0) test.log.warn(`${what}: could not check nodes it never touched: ${describeFailures(harmless)}`);
  if (unhealed.size > 0) {
    throw new NemesisError('NEMESIS_HEAL_FAILED', `${what} could not heal ${[...unhealed.keys()].join(', ')}: ${describeFailures(unhealed)}`);
  }
}
