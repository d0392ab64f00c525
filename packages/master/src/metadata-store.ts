/**
 * The master's port to etcd: reads the whole cluster view, watches it, and changes it
 * only by transactions that compare the revision they read, and that hold only while
 * this master still leads (its election key exists). Two masters, or a master racing
 * a region, can therefore never overwrite each other.
 */
import type { Etcd3, Watcher } from 'etcd3';
import {
  EtcdKeys,
  errors,
  parseGroupRecord,
  parseRegionRecord,
  parseTableRecord,
  type GroupRecord,
  type Logger,
  type RegionRecord,
  type TableRecord,
} from '@minisql/common';
import type { ClusterView } from './cluster-view.js';

export interface LoadedView {
  view: ClusterView;
  /** The mod revision of each table key, for compare-and-set. */
  tableRevisions: ReadonlyMap<string, string>;
  /** The mod revision of each group key, for compare-and-set. */
  groupRevisions: ReadonlyMap<string, string>;
}

/** Events kept for the status page; older ones are trimmed. */
const EVENTS_KEPT = 200;
/** Keys per page when the master reads its view (a table record is a few KiB at most). */
export const LOAD_PAGE_KEYS = 200;

/** The end of the range of keys that start with `prefix`: the prefix with its last byte plus one. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

export class MetadataStore {
  /** The election key of this master while it leads; every write compares it. */
  private fenceKey: string | undefined;
  private eventSequence = 0;

  constructor(
    private readonly etcd: Etcd3,
    readonly keys: EtcdKeys,
    private readonly logger: Logger,
  ) {}

  /** From now on, writes succeed only while `key` exists (this master's election key). */
  fenceWith(key: string | undefined): void {
    this.fenceKey = key;
  }

  /**
   * Every key under the prefix, read in pages of LOAD_PAGE_KEYS at one revision: one
   * response for the whole prefix passed etcd's 4 MiB answer limit at about a thousand
   * tables, and the master could then neither load nor lead.
   */
  private async rangeAll(): Promise<Array<{ key: Buffer; value: Buffer; mod_revision: string }>> {
    const prefix = Buffer.from(this.keys.prefix);
    const end = prefixEnd(prefix);
    const kvs: Array<{ key: Buffer; value: Buffer; mod_revision: string }> = [];
    let from = prefix;
    let revision: string | undefined;
    for (;;) {
      const page = await this.etcd.kv.range({ key: from, range_end: end, limit: LOAD_PAGE_KEYS, ...(revision === undefined ? {} : { revision }) });
      revision ??= page.header.revision;
      kvs.push(...page.kvs);
      const last = page.kvs.at(-1);
      if (!page.more || last === undefined) return kvs;
      from = Buffer.concat([last.key, Buffer.from([0])]); // the next key after the last one read
    }
  }

  async load(): Promise<LoadedView> {
    const response = { kvs: await this.rangeAll() };
    const regions = new Map<string, RegionRecord>();
    const groups = new Map<string, GroupRecord>();
    const tables = new Map<string, TableRecord>();
    const tableRevisions = new Map<string, string>();
    const groupRevisions = new Map<string, string>();
    for (const kv of response.kvs) {
      const key = kv.key.toString();
      const value = kv.value.toString();
      try {
        if (key.startsWith(this.keys.regions)) {
          const record = parseRegionRecord(key, value);
          regions.set(record.id, record);
        } else if (key.startsWith(this.keys.groups)) {
          const record = parseGroupRecord(key, value);
          groups.set(record.id, record);
          groupRevisions.set(record.id, kv.mod_revision);
        } else if (key.startsWith(this.keys.tables)) {
          const record = parseTableRecord(key, value);
          tables.set(key.slice(this.keys.tables.length), record);
          tableRevisions.set(key.slice(this.keys.tables.length), kv.mod_revision);
        } else if (key.startsWith(this.keys.events)) {
          this.eventSequence = Math.max(this.eventSequence, Number(key.slice(this.keys.events.length)) || 0);
        }
      } catch (error) {
        // One unreadable record must not hide the rest of the cluster.
        this.logger.error('skipping an unreadable etcd record', { key, error: (error as Error).message });
      }
    }
    return { view: { regions, groups, tables }, tableRevisions, groupRevisions };
  }

  /** Calls `onChange` after any change under the prefix (regions, groups, tables). */
  async watch(onChange: () => void): Promise<Watcher> {
    const watcher = await this.etcd.watch().prefix(this.keys.prefix).create();
    watcher.on('data', onChange);
    watcher.on('error', (error) => this.logger.warn('etcd watch error; it reconnects by itself', { error: error.message }));
    return watcher;
  }

  /** Creates groups that do not exist yet, all or none. */
  async createGroups(groups: readonly GroupRecord[]): Promise<boolean> {
    let txn = this.fenced();
    for (const group of groups) txn = txn.and(this.keys.group(group.id), 'Create', '==', 0);
    const result = await txn.then(...groups.map((group) => this.etcd.put(this.keys.group(group.id)).value(JSON.stringify(group)))).commit();
    return result.succeeded;
  }

  /** Replaces a group record if it still has `revision`. */
  async updateGroup(group: GroupRecord, revision: string): Promise<boolean> {
    const key = this.keys.group(group.id);
    const result = await this.fenced().and(key, 'Mod', '==', Number(revision)).then(this.etcd.put(key).value(JSON.stringify(group))).commit();
    return result.succeeded;
  }

  /** Ends a region's lease at once: its record disappears as if its TTL had run out. */
  async revokeLease(leaseId: string): Promise<void> {
    await this.etcd.leaseClient.leaseRevoke({ ID: leaseId });
  }

  /** Writes a table record if its key still has `revision` ('0': must not exist). */
  async putTable(record: TableRecord, revision: string): Promise<string | undefined> {
    const key = this.keys.table(record.name);
    const txn = this.fenced().and(key, revision === '0' ? 'Create' : 'Mod', '==', revision === '0' ? 0 : Number(revision));
    const result = await txn.then(this.etcd.put(key).value(JSON.stringify(record))).commit();
    return result.succeeded ? result.header.revision : undefined;
  }

  async deleteTable(name: string, revision: string): Promise<boolean> {
    const key = this.keys.table(name);
    const result = await this.fenced().and(key, 'Mod', '==', Number(revision)).then(this.etcd.delete().key(key)).commit();
    return result.succeeded;
  }

  /** The latest events, newest first. */
  async recentEvents(limit: number): Promise<Array<Record<string, unknown>>> {
    const response = await this.etcd.getAll().prefix(this.keys.events).sort('Key', 'Descend').limit(limit).exec();
    return response.kvs.map((kv) => JSON.parse(kv.value.toString()) as Record<string, unknown>);
  }

  /** Appends an event for the status page; best effort (a lost event loses no data). */
  async recordEvent(kind: string, detail: Record<string, unknown>): Promise<void> {
    this.eventSequence += 1;
    const key = this.keys.event(this.eventSequence);
    try {
      await this.etcd.put(key).value(JSON.stringify({ kind, atMs: Date.now(), ...detail }));
      if (this.eventSequence > EVENTS_KEPT) await this.etcd.delete().inRange({ start: this.keys.events, end: this.keys.event(this.eventSequence - EVENTS_KEPT) });
    } catch (error) {
      this.logger.warn('could not record an event', { kind, error: (error as Error).message });
    }
  }

  private fenced() {
    if (this.fenceKey === undefined) throw errors.notLeader('this master', 'it lost the lead during the change');
    return this.etcd.if(this.fenceKey, 'Create', '>', 0);
  }
}
