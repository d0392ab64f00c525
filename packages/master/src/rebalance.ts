/**
 * `rebalance;`: which tables to move so that every group with a live primary holds about
 * as many tables, and about as many bytes, as the others. A pure function of the view and
 * the tables' sizes; the master then runs the moves one after another (table-move.ts).
 *
 * Counts first: a group holds the fewest or one more than the fewest, which is as even as
 * whole tables allow. Each move goes from the fullest group (most tables, then most bytes)
 * to the emptiest (fewest tables, then fewest bytes) and takes the source's table whose
 * size brings the two groups' bytes closest together, so counts and sizes even out
 * together. At most `movesMax` moves per plan, a bounded amount of copying at a time;
 * running it again continues.
 */
import { compareGroupIds } from '@minisql/common';
import type { ClusterView } from './cluster-view.js';

export interface RebalanceMove {
  table: string;
  from: string;
  to: string;
}

/** Moves planned at most per `rebalance;`. */
export const REBALANCE_MOVES_MAX = 4;

/**
 * `sizes`: bytes per table by lower-case name, where known (a table not listed counts as
 * empty). Groups without a live primary neither give nor take: a move needs both primaries.
 */
export function planRebalance(view: ClusterView, sizes: ReadonlyMap<string, number> = new Map(), movesMax = REBALANCE_MOVES_MAX): RebalanceMove[] {
  const groups = [...view.groups.values()].filter((group) => view.regions.has(group.primary)).map((group) => group.id);
  if (groups.length < 2) return [];
  const held = new Map<string, Array<{ name: string; bytes: number }>>(groups.map((id) => [id, []]));
  for (const table of view.tables.values()) {
    // Tables being created, dropped or moved stay where they are.
    if (table.state !== 'ready' || table.movingTo !== undefined) continue;
    held.get(table.group)?.push({ name: table.name, bytes: sizes.get(table.name.toLowerCase()) ?? 0 });
  }
  const bytesOf = (id: string) => (held.get(id) ?? []).reduce((sum, table) => sum + table.bytes, 0);
  const countOf = (id: string) => held.get(id)?.length ?? 0;
  const fuller = (a: string, b: string) => countOf(b) - countOf(a) || bytesOf(b) - bytesOf(a) || compareGroupIds(a, b);
  const moves: RebalanceMove[] = [];
  while (moves.length < movesMax) {
    const ordered = [...groups].sort(fuller);
    const from = ordered[0] as string;
    const to = ordered.at(-1) as string;
    if (countOf(from) - countOf(to) <= 1) break;
    // The table that leaves the two groups' bytes closest; ties: by name, for a stable plan.
    const gap = bytesOf(from) - bytesOf(to);
    const candidates = [...(held.get(from) ?? [])].sort((a, b) => Math.abs(gap - 2 * a.bytes) - Math.abs(gap - 2 * b.bytes) || a.name.localeCompare(b.name));
    const table = candidates[0];
    if (!table) break;
    held.set(
      from,
      (held.get(from) ?? []).filter((t) => t !== table),
    );
    held.get(to)?.push(table);
    moves.push({ table: table.name, from, to });
  }
  return moves;
}
