/**
 * Placement decisions, as pure functions of the cluster view: which regions form a new
 * replica group, and which group a new table goes to. No I/O: the master carries out
 * what these return, and the unit tests check them without etcd.
 */
import { randomUUID } from 'node:crypto';
import { compareGroupIds, groupMembers, withAssignmentsPruned, withCatchingUp, type GroupRecord } from '@minisql/common';
import type { ClusterView } from './cluster-view.js';

/** Live regions that belong to no group, sorted by id (so plans are deterministic). */
export function spareRegions(view: ClusterView): string[] {
  const grouped = new Set([...view.groups.values()].flatMap(groupMembers));
  return [...view.regions.keys()].filter((id) => !grouped.has(id)).sort();
}

/** The next group id: g1, g2, ... one past the highest in use. */
export function nextGroupId(view: ClusterView, offset = 0): string {
  let highest = 0;
  for (const id of view.groups.keys()) {
    const n = Number(/^g(\d+)$/.exec(id)?.[1] ?? 0);
    if (n > highest) highest = n;
  }
  return `g${highest + 1 + offset}`;
}

/**
 * New groups to form from spare regions: each takes `replicationFactor` spares, the
 * first (by id) as primary. Spares that do not fill a group wait for more regions.
 */
export function planNewGroups(view: ClusterView, replicationFactor: number): GroupRecord[] {
  const spares = spareRegions(view);
  const groups: GroupRecord[] = [];
  for (let i = 0; i + replicationFactor <= spares.length; i += replicationFactor) {
    const members = spares.slice(i, i + replicationFactor);
    const primary = members[0] as string;
    groups.push({
      id: nextGroupId(view, groups.length),
      epoch: 1,
      primary,
      primaryIncarnation: view.regions.get(primary)?.incarnation,
      inSync: members.slice(1),
      catchingUp: [],
    });
  }
  return groups;
}

export type GroupChoice = { group: GroupRecord } | { none: string };

/**
 * The group for a new table: among groups whose primary is live, the one holding the
 * fewest tables (ties: lowest id). Says why when there is none.
 */
export function chooseGroupForTable(view: ClusterView, replicationFactor: number): GroupChoice {
  const load = new Map<string, number>();
  for (const table of view.tables.values()) load.set(table.group, (load.get(table.group) ?? 0) + 1);
  const candidates = [...view.groups.values()].filter((group) => view.regions.has(group.primary));
  if (candidates.length === 0) {
    const regions = view.regions.size;
    return {
      none:
        view.groups.size === 0
          ? `no replica group has formed: ${regions} region(s) registered, ${replicationFactor} needed per group`
          : 'no group has a live primary',
    };
  }
  candidates.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || compareGroupIds(a.id, b.id));
  return { group: candidates[0] as GroupRecord };
}

/** Where each table of a region stands in its log, as the region answered (LogPositions). */
export type LogPositions = ReadonlyMap<string, ReadonlyMap<string, number>>;

/**
 * The live in-sync replicas of a group in the order they should be promoted: the most
 * advanced first (the largest sum of its tables' log positions), those that did not say
 * where they stand last, the group's own order among equals. Every in-sync replica holds
 * every acknowledged entry; the most advanced also holds the most unacknowledged ones,
 * so the fewest replicas find a different entry at a position they hold and copy afresh.
 */
export function promotionOrder(candidates: readonly string[], positions: LogPositions): string[] {
  const advance = (id: string): number => {
    const tables = positions.get(id);
    if (tables === undefined) return -1;
    let sum = 0;
    for (const position of tables.values()) sum += position;
    return sum;
  };
  return candidates
    .map((id, index) => ({ id, index, advance: advance(id) }))
    .sort((a, b) => b.advance - a.advance || a.index - b.index)
    .map(({ id }) => id);
}

/** The groups whose primary is gone (or restarted) and that have more than one live in-sync replica to choose from. */
export function groupsChoosingPrimary(view: ClusterView, fenced: ReadonlySet<string> = new Set()): GroupRecord[] {
  return [...view.groups.values()].filter((group) => {
    const primary = view.regions.get(group.primary);
    const gone = primary === undefined || (group.primaryIncarnation !== undefined && primary.incarnation !== group.primaryIncarnation);
    return gone && !fenced.has(group.primary) && group.inSync.filter((id) => view.regions.has(id)).length > 1;
  });
}

/**
 * Groups to change because members died (their lease expired or was revoked):
 * - a dead primary is replaced by its most advanced live in-sync replica (`positions`,
 *   see promotionOrder; without them, the first), with the epoch bumped,
 *   so replicas refuse the old primary from then on; with no live in-sync replica the
 *   group waits for its primary (promoting a replica that may lack writes would lose them);
 * - a restarted primary (a new incarnation) counts as dead: a replica takes over, and it
 *   comes back as a spare; only when no in-sync replica exists is the new process adopted;
 * - dead replicas leave the group (a returning region is a spare and copies afresh);
 * - a group whose primary is `fenced` (this master revoked its lease moments ago, and it
 *   may still be serving until its lease clock runs out) is left as it is for now.
 */
export function planGroupRepairs(view: ClusterView, fenced: ReadonlySet<string> = new Set(), positions: LogPositions = new Map()): GroupRecord[] {
  const alive = (id: string): boolean => view.regions.has(id);
  const changed: GroupRecord[] = [];
  for (const group of view.groups.values()) {
    let next: GroupRecord;
    const primaryRecord = view.regions.get(group.primary);
    // A primary that restarted is a new process: the one that led is gone.
    const restarted = primaryRecord !== undefined && group.primaryIncarnation !== undefined && primaryRecord.incarnation !== group.primaryIncarnation;
    if ((primaryRecord === undefined || restarted) && fenced.has(group.primary)) continue; // promoted once the fence ends
    if (primaryRecord === undefined || restarted) {
      const candidates = promotionOrder(group.inSync.filter(alive), positions);
      if (candidates.length > 0) {
        const primary = candidates[0] as string;
        next = {
          ...group,
          epoch: group.epoch + 1,
          primary,
          primaryIncarnation: view.regions.get(primary)?.incarnation,
          inSync: candidates.slice(1),
          catchingUp: group.catchingUp.filter((id) => alive(id) && id !== group.primary),
        };
      } else if (restarted) {
        // No replica has the writes: the restarted primary, with its files, is all there is.
        next = { ...group, epoch: group.epoch + 1, primaryIncarnation: primaryRecord.incarnation, catchingUp: group.catchingUp.filter(alive) };
      } else {
        continue; // wait for the primary: promoting a replica that may lack writes would lose them
      }
    } else {
      next = { ...group, inSync: group.inSync.filter(alive), catchingUp: group.catchingUp.filter(alive) };
    }
    next = withAssignmentsPruned(next); // a replica that left takes its assignment with it
    if (JSON.stringify(next) !== JSON.stringify(group)) changed.push(next);
  }
  return changed;
}

/**
 * Spare regions assigned to groups that have fewer than `replicationFactor` members and
 * a live primary, as catching-up replicas: they copy the group's tables before they
 * count, each under a new assignment id (catch-up-assignments.ts). Existing groups are filled before new groups form.
 */
export function planReplacements(view: ClusterView, replicationFactor: number, newAssignmentId: () => string = randomUUID): GroupRecord[] {
  const spares = spareRegions(view);
  const changed: GroupRecord[] = [];
  const groups = [...view.groups.values()].sort((a, b) => compareGroupIds(a.id, b.id));
  for (const group of groups) {
    if (!view.regions.has(group.primary)) continue;
    const missing = replicationFactor - groupMembers(group).length;
    if (missing <= 0 || spares.length === 0) continue;
    const joining = spares.splice(0, missing);
    // Under a new assignment id: a Join from any earlier time in the group is refused.
    changed.push(withCatchingUp(group, joining, newAssignmentId));
  }
  return changed;
}
