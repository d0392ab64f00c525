/**
 * A planned switchover: the primary of a group hands its role to an in-sync replica with
 * no acknowledged write lost and a pause of writes far shorter than a crash failover's
 * (no lease to wait out). The plan is a pure function of the view; the steps:
 *   1. the primary stops taking statements and lets its batches in flight finish
 *      (ReplicationService.Handover): every in-sync replica then holds all it has;
 *   2. the master writes the group's next epoch with the target as primary and the old
 *      primary as an in-sync replica, compared against the revision it planned from;
 *   3. both learn the epoch from etcd; clients refused by the old primary (NOT_PRIMARY)
 *      retry through a fresh route to the new one.
 * If step 2 does not land within the hold, the old primary takes its group back by a
 * compare-and-set of its own, so the two can never both hold.
 */
import { compareGroupIds, errors, type GroupRecord } from '@minisql/common';
import { promotionOrder, type LogPositions } from './cluster-planner.js';
import type { ClusterView } from './cluster-view.js';

/** How long the primary holds still for the master to switch, in milliseconds. */
export const HANDOVER_HOLD_MS = 2_000;

export interface SwitchoverPlan {
  group: GroupRecord;
  from: string;
  to: string;
}

export function planSwitchover(view: ClusterView, groupId: string, target: string | null, positions: LogPositions = new Map()): SwitchoverPlan {
  const group = view.groups.get(groupId);
  if (!group) {
    const known = [...view.groups.keys()].sort(compareGroupIds).join(', ') || 'none yet';
    throw errors.invalidArgument(`group \`${groupId}\``, `it does not exist (groups: ${known})`);
  }
  if (!view.regions.has(group.primary))
    throw errors.invalidArgument(`group \`${groupId}\``, `its primary ${group.primary} is not running: a failover is under way`);
  const live = group.inSync.filter((region) => view.regions.has(region));
  if (target !== null && !live.includes(target)) {
    throw errors.invalidArgument(`switchover target \`${target}\``, `it is not a live in-sync replica of ${groupId} (in sync: ${live.join(', ') || 'none'})`);
  }
  const to = target ?? promotionOrder(live, positions)[0];
  if (to === undefined) throw errors.invalidArgument(`group \`${groupId}\``, 'it has no live in-sync replica to hand over to');
  return {
    from: group.primary,
    to,
    // The incarnation names the process that may serve as primary: the target's, now.
    group: {
      ...group,
      epoch: group.epoch + 1,
      primary: to,
      primaryIncarnation: view.regions.get(to)?.incarnation,
      inSync: [...group.inSync.filter((region) => region !== to), group.primary],
    },
  };
}
