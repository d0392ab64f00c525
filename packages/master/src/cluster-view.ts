/** What the master knows of the cluster at one moment, as read from etcd. */
import type { GroupRecord, RegionRecord, TableRecord } from '@minisql/common';

export interface ClusterView {
  /** Live regions (their lease-bound keys exist), by id. */
  regions: ReadonlyMap<string, RegionRecord>;
  groups: ReadonlyMap<string, GroupRecord>;
  /** Tables by lower-case name. */
  tables: ReadonlyMap<string, TableRecord>;
}

export function emptyView(): ClusterView {
  return { regions: new Map(), groups: new Map(), tables: new Map() };
}
