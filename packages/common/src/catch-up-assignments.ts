/**
 * Each catching-up replica copies its group's tables under an assignment: an id written
 * beside its name in the group record whenever it is put into `catchingUp`. Its Snapshot
 * and Join carry the id, and the primary admits it to the in-sync set only under that id,
 * in the same compare-and-set that admits it.
 *
 * Why: a region can leave a group and be given back to it in the same epoch (its lease ran
 * out while it joined, and it registered again). In between it was a spare and discarded
 * its tables. A Join begun before that, still waiting on the primary, names the same
 * region, group and epoch, so without the id it would admit a replica that holds no
 * tables, and a failover to it would lose every acknowledged write.
 *
 * Pure: the master's planner and the primary's membership both change records through here.
 */
import type { GroupRecord } from './cluster-records.js';

/** The id of `replica`'s assignment; '' for a record written before assignments had ids. */
export function assignmentOf(group: GroupRecord, replica: string): string {
  return group.assignments?.[replica] ?? '';
}

/** `group` with `replicas` (those not already there) catching up, each under a new id. */
export function withCatchingUp(group: GroupRecord, replicas: readonly string[], newId: () => string): GroupRecord {
  const joining = replicas.filter((id) => !group.catchingUp.includes(id));
  if (joining.length === 0) return group;
  const assignments = { ...group.assignments };
  for (const id of joining) assignments[id] = newId();
  return { ...group, catchingUp: [...group.catchingUp, ...joining], assignments };
}

/** `group` without the ids of regions that no longer catch up in it (no field when none is left). */
export function withAssignmentsPruned(group: GroupRecord): GroupRecord {
  if (group.assignments === undefined) return group;
  const kept = Object.entries(group.assignments).filter(([id]) => group.catchingUp.includes(id));
  if (kept.length === Object.keys(group.assignments).length) return group;
  const { assignments: _dropped, ...rest } = group;
  return kept.length === 0 ? rest : { ...rest, assignments: Object.fromEntries(kept) };
}

/**
 * Why `replica`, copying under `assignment`, may not join `group` now; undefined when it
 * may. A refusal means its copy belongs to an assignment that has ended: it starts over.
 * Upgrade the masters before the regions: a master of an earlier version gives no ids.
 */
export function joinRefusal(group: GroupRecord, replica: string, assignment: string): string | undefined {
  if (!group.catchingUp.includes(replica)) return `${replica} is not catching up in ${group.id}`;
  const current = assignmentOf(group, replica);
  // A region of a version before assignments sends none: it is checked as it was then
  // (refusing it would leave it copying forever while a cluster is upgraded). Every
  // region of this version sends the id it read, so '' comes only from those.
  if (assignment === '') return undefined;
  if (current !== assignment)
    return `${replica} copied under assignment ${assignment} of ${group.id}, which has ended (now ${current || '(none)'}): it left the group and was given back, and copies again`;
  return undefined;
}

/** `group` with `replica` moved from catching up into the in-sync set; undefined when `joinRefusal` refuses it. */
export function admittedToInSync(group: GroupRecord, replica: string, assignment: string): GroupRecord | undefined {
  if (joinRefusal(group, replica, assignment) !== undefined) return undefined;
  return withAssignmentsPruned({ ...group, inSync: [...group.inSync, replica], catchingUp: group.catchingUp.filter((id) => id !== replica) });
}
