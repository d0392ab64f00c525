/**
 * What this region is in its replica group, derived from the group records in etcd.
 * Pure: the membership watcher feeds it, the executor obeys it.
 */
import { groupMembers, type GroupRecord } from '@minisql/common';

export type GroupRole =
  /** Not in a cluster: every statement is served locally (a standalone region). */
  | { kind: 'standalone' }
  /** Registered, but in no group (a spare, or a fenced-off former primary). */
  | { kind: 'spare' }
  | { kind: 'primary'; group: GroupRecord }
  /**
   * Named primary, but as an earlier process: it serves nothing and keeps its files
   * until the master either adopts it or promotes a replica.
   */
  | { kind: 'restarted'; group: GroupRecord }
  | { kind: 'replica'; group: GroupRecord; inSync: boolean };

export function roleOf(regionId: string, incarnation: string, groups: Iterable<GroupRecord>): GroupRole {
  for (const group of groups) {
    if (group.primary === regionId) {
      const same = group.primaryIncarnation === undefined || group.primaryIncarnation === incarnation;
      return same ? { kind: 'primary', group } : { kind: 'restarted', group };
    }
    if (groupMembers(group).includes(regionId)) return { kind: 'replica', group, inSync: group.inSync.includes(regionId) };
  }
  return { kind: 'spare' };
}
