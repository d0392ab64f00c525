/**
 * The master's copy of its etcd prefix, kept by the watch (pure: keys and values in,
 * the cluster view out). Before, every change under the prefix made the master read the
 * whole prefix again: with a thousand tables, megabytes per region heartbeat change.
 * Now the prefix is read once (in pages), and each watch event changes one entry.
 *
 * Freshness is checked, not assumed: `isCurrent` says whether the copy holds what etcd
 * holds, from one small range answer (the newest key's mod revision and the key count).
 */
import { parseGroupRecord, parseRegionRecord, parseTableRecord, type EtcdKeys, type GroupRecord, type RegionRecord, type TableRecord } from '@minisql/common';
import type { ClusterView } from './cluster-view.js';

export interface LoadedView {
  view: ClusterView;
  /** The mod revision of each table key, for compare-and-set. */
  tableRevisions: ReadonlyMap<string, string>;
  /** The mod revision of each group key, for compare-and-set. */
  groupRevisions: ReadonlyMap<string, string>;
}

/** One key's change: `value` undefined for a delete. */
export interface KeyChange {
  key: string;
  value: string | undefined;
  modRevision: number;
}

/** What one range over the prefix says of etcd now (sorted by mod revision, limit 1). */
export interface PrefixProbe {
  /** etcd's revision when it answered. */
  headerRevision: number;
  /** The mod revision of the newest key under the prefix (0 when there is none). */
  newestModRevision: number;
  /** How many keys are under the prefix. */
  count: number;
}

type Entry =
  | { kind: 'region'; record: RegionRecord }
  | { kind: 'group'; record: GroupRecord; modRevision: number }
  | { kind: 'table'; name: string; record: TableRecord; modRevision: number }
  | { kind: 'other' };

export class ViewCache {
  /** The revision this copy is complete up to. */
  revision = 0;
  /** The revision of the last full read. */
  private readRevision = 0;
  /** Every key under the prefix (events and users too, for the count check), by key. */
  private readonly entries = new Map<string, Entry>();
  /** The highest event number seen (status page events). */
  eventSequence = 0;

  constructor(
    private readonly etcdKeys: EtcdKeys,
    /** Called for a record that does not parse; the rest of the view still loads. */
    private readonly onUnreadable: (key: string, error: Error) => void,
  ) {}

  /**
   * Applies one change from the watch. One transaction's changes share a revision, so
   * only a change the last full read already held (at or below it) is skipped.
   */
  apply(change: KeyChange): void {
    if (change.modRevision <= this.readRevision) return;
    this.put(change);
    this.revision = Math.max(this.revision, change.modRevision);
  }

  /** Loads a whole range read at `revision` (the first read, or a reload after compaction). */
  reset(changes: readonly KeyChange[], revision: number): void {
    this.entries.clear();
    for (const change of changes) this.put(change);
    this.revision = revision;
    this.readRevision = revision;
  }

  /**
   * Whether this copy holds what etcd held when `probe` was answered. A copy at or past
   * the probe's revision does. Behind it, every key etcd has must be older than this
   * copy (the newest mod revision is not past ours) and the counts must agree: a key
   * added since would be newer, and a key deleted since would leave etcd one short.
   */
  isCurrent(probe: PrefixProbe): boolean {
    if (this.revision >= probe.headerRevision) return true;
    return probe.newestModRevision <= this.revision && probe.count === this.entries.size;
  }

  /** A copy of the view, safe to keep and change. */
  snapshot(): LoadedView {
    const regions = new Map<string, RegionRecord>();
    const groups = new Map<string, GroupRecord>();
    const tables = new Map<string, TableRecord>();
    const tableRevisions = new Map<string, string>();
    const groupRevisions = new Map<string, string>();
    for (const entry of this.entries.values()) {
      if (entry.kind === 'region') regions.set(entry.record.id, entry.record);
      else if (entry.kind === 'group') {
        groups.set(entry.record.id, entry.record);
        groupRevisions.set(entry.record.id, String(entry.modRevision));
      } else if (entry.kind === 'table') {
        tables.set(entry.name, entry.record);
        tableRevisions.set(entry.name, String(entry.modRevision));
      }
    }
    return { view: { regions, groups, tables }, tableRevisions, groupRevisions };
  }

  private put({ key, value, modRevision }: KeyChange): void {
    if (value === undefined) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { kind: 'other' }); // counted even when it does not parse
    const k = this.etcdKeys;
    try {
      if (key.startsWith(k.regions)) this.entries.set(key, { kind: 'region', record: parseRegionRecord(key, value) });
      else if (key.startsWith(k.groups)) this.entries.set(key, { kind: 'group', record: parseGroupRecord(key, value), modRevision });
      else if (key.startsWith(k.tables))
        this.entries.set(key, { kind: 'table', name: key.slice(k.tables.length), record: parseTableRecord(key, value), modRevision });
      else if (key.startsWith(k.events)) this.eventSequence = Math.max(this.eventSequence, Number(key.slice(k.events.length)) || 0);
    } catch (error) {
      // One unreadable record must not hide the rest of the cluster.
      this.onUnreadable(key, error as Error);
    }
  }
}
