/**
 * The master's port to etcd: reads the whole cluster view, watches it, and changes it
 * only by transactions that compare the revision they read, and that hold only while
 * this master still leads (its election key exists). Two masters, or a master racing
 * a region, can therefore never overwrite each other.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { EtcdKeys, errors, parseGroupRecord, placementOf, type GroupRecord, type Logger, type TableRecord } from '@minisql/common';
import { ViewCache, type KeyChange, type LoadedView, type PrefixProbe } from './view-cache.js';

/** A registration for changes; `cancel` ends it. */
export interface ViewSubscription {
  cancel(): Promise<void>;
}

/** Events kept for the status page; older ones are trimmed. */
const EVENTS_KEPT = 200;
/** Keys per page when the master reads its view (a table record is a few KiB at most). */
export const LOAD_PAGE_KEYS = 200;
/**
 * How long a load waits for the watch to bring what etcd already holds before it reads
 * the prefix again: the watch delivers in milliseconds; this bounds a stalled one.
 */
const WATCH_CATCH_UP_MS_MAX = 2_000;

const changeOf = (kv: IKeyValue, deleted = false): KeyChange => ({
  key: kv.key.toString(),
  value: deleted ? undefined : kv.value.toString(),
  modRevision: Number(kv.mod_revision),
});

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
  /** The view, read once and kept by the watch (view-cache.ts); started by the first load. */
  private cache: ViewCache | undefined;
  private cacheWatcher: Watcher | undefined;
  private starting: Promise<ViewCache> | undefined;
  private readonly listeners = new Set<() => void>();
  /** Loads waiting for the watch to catch up with etcd. */
  private readonly waiters = new Set<() => void>();
  private closed = false;

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
  private async rangeAll(): Promise<{ kvs: IKeyValue[]; revision: number }> {
    const prefix = Buffer.from(this.keys.prefix);
    const end = prefixEnd(prefix);
    const kvs: IKeyValue[] = [];
    let from = prefix;
    let revision: string | undefined;
    for (;;) {
      const page = await this.etcd.kv.range({ key: from, range_end: end, limit: LOAD_PAGE_KEYS, ...(revision === undefined ? {} : { revision }) });
      revision ??= page.header.revision;
      kvs.push(...page.kvs);
      const last = page.kvs.at(-1);
      if (!page.more || last === undefined) return { kvs, revision: Number(revision) };
      from = Buffer.concat([last.key, Buffer.from([0])]); // the next key after the last one read
    }
  }

  /** One small range: etcd's revision, the newest key's mod revision and the key count. */
  private async probe(): Promise<PrefixProbe> {
    const prefix = Buffer.from(this.keys.prefix);
    const response = await this.etcd.kv.range({
      key: prefix,
      range_end: prefixEnd(prefix),
      limit: 1,
      sort_order: 'Descend',
      sort_target: 'Mod',
      keys_only: true,
    });
    return {
      headerRevision: Number(response.header.revision),
      newestModRevision: Number(response.kvs[0]?.mod_revision ?? 0),
      count: Number(response.count),
    };
  }

  /**
   * Reads the prefix once and watches it from the next revision on. The copy is only ever
   * replaced whole (`restartCache`), never reset in place: events the old watch applies
   * meanwhile cannot be lost under a read that predates them.
   */
  private async startCache(): Promise<ViewCache> {
    const cache = new ViewCache(this.keys, (key, error) => this.logger.error('skipping an unreadable etcd record', { key, error: error.message }));
    const { kvs, revision } = await this.rangeAll();
    cache.reset(
      kvs.map((kv) => changeOf(kv)),
      revision,
    );
    const watcher = await this.etcd
      .watch()
      .prefix(this.keys.prefix)
      .startRevision(String(revision + 1))
      .create();
    if (this.closed) {
      await watcher.cancel().catch(() => undefined);
      return cache;
    }
    watcher.on('data', (response) => {
      if (this.cacheWatcher !== watcher) return;
      for (const event of response.events) cache.apply(changeOf(event.kv, event.type === 'Delete'));
      this.changed();
    });
    // etcd3 resumes a dropped watch from the header revision of its last answer, which
    // may be past events it has not delivered yet (a watch still catching up): a copy
    // kept across a reconnect could miss a change for good. So a disconnect, like an
    // error (the watch ended, its revision compacted), starts the copy afresh.
    const restart = (why: string, error: Error) => {
      if (this.cacheWatcher !== watcher) return;
      this.logger.warn(`etcd watch ${why}; reading the view again`, { error: error.message });
      this.restartCache();
    };
    watcher.on('error', (error: Error) => restart('ended', error));
    watcher.on('disconnected', (error: Error) => restart('disconnected', error));
    this.cache = cache;
    this.cacheWatcher = watcher;
    return cache;
  }

  /** Drops the kept copy and its watch and starts a new one, retried until it stands (or the store closes). */
  private restartCache(): void {
    const watcher = this.cacheWatcher;
    this.cacheWatcher = undefined;
    this.cache = undefined;
    this.starting = undefined;
    void watcher?.cancel().catch(() => undefined);
    if (this.closed) return;
    this.ensureCache().then(
      () => this.changed(),
      (error: Error) => {
        this.logger.warn('could not read the view again; retrying in 1 s', { error: error.message });
        setTimeout(() => {
          if (!this.closed && this.starting === undefined) this.restartCache();
        }, 1_000).unref();
      },
    );
  }

  private ensureCache(): Promise<ViewCache> {
    this.starting ??= this.startCache().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
    for (const listener of [...this.listeners]) listener();
  }

  /** Waits until `cache` holds what `probe` saw, at most WATCH_CATCH_UP_MS_MAX; true when it does. */
  private async caughtUp(cache: ViewCache, probe: PrefixProbe): Promise<boolean> {
    let wake: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = Date.now() + WATCH_CATCH_UP_MS_MAX;
    try {
      while (!cache.isCurrent(probe)) {
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0 || this.cache !== cache) return false;
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.waiters.add(wake);
          timer = setTimeout(resolve, remainingMs);
        });
        this.waiters.delete(wake);
        clearTimeout(timer);
      }
      return true;
    } finally {
      this.waiters.delete(wake);
      clearTimeout(timer);
    }
  }

  /**
   * The cluster view as etcd holds it now: the kept copy, once one small range has shown
   * it current (a write just made, here or by a region, is in it). A copy that does not
   * catch up in time is replaced by a fresh read, itself checked against a fresh probe.
   */
  async load(): Promise<LoadedView> {
    for (let attempt = 1; ; attempt++) {
      const cache = await this.ensureCache();
      const probe = await this.probe();
      if (cache.isCurrent(probe) || (await this.caughtUp(cache, probe))) {
        this.eventSequence = Math.max(this.eventSequence, cache.eventSequence);
        return cache.snapshot();
      }
      if (attempt >= 3) throw errors.unavailable('etcd', 'the master could not bring its view of the cluster up to date');
      this.logger.warn('the etcd watch fell behind; reading the view again', { revision: cache.revision, etcdRevision: probe.headerRevision });
      if (this.cache === cache) this.restartCache();
    }
  }

  /** Calls `onChange` after any change under the prefix (regions, groups, tables), once the view holds it. */
  async watch(onChange: () => void): Promise<ViewSubscription> {
    await this.ensureCache();
    this.listeners.add(onChange);
    return {
      cancel: () => {
        this.listeners.delete(onChange);
        return Promise.resolve();
      },
    };
  }

  /** Ends the watch that keeps the view. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const watcher = this.cacheWatcher;
    this.cacheWatcher = undefined;
    await watcher?.cancel().catch(() => undefined);
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
    const result = await this.fenced()
      .and(key, 'Mod', '==', Number(revision))
      .then(this.etcd.put(key).value(JSON.stringify(group)))
      .commit();
    return result.succeeded;
  }

  /** Ends a region's lease at once: its record disappears as if its TTL had run out. */
  async revokeLease(leaseId: string): Promise<void> {
    await this.etcd.leaseClient.leaseRevoke({ ID: leaseId });
  }

  /** One group's record as etcd holds it now, with its revision; undefined when there is none. */
  async readGroup(id: string): Promise<{ record: GroupRecord; revision: string } | undefined> {
    const key = this.keys.group(id);
    const kv = (await this.etcd.get(key).exec()).kvs[0];
    return kv ? { record: parseGroupRecord(key, kv.value.toString()), revision: kv.mod_revision } : undefined;
  }

  /** Writes a table record if its key still has `revision` ('0': must not exist). */
  async putTable(record: TableRecord, revision: string): Promise<string | undefined> {
    const key = this.keys.table(record.name);
    const txn = this.fenced().and(key, revision === '0' ? 'Create' : 'Mod', '==', revision === '0' ? 0 : Number(revision));
    const result = await txn
      .then(this.etcd.put(key).value(JSON.stringify(record)), this.etcd.put(this.keys.placement(record.name)).value(JSON.stringify(placementOf(record))))
      .commit();
    return result.succeeded ? result.header.revision : undefined;
  }

  /**
   * The switch of a table move: the record names its new group, if neither the record nor
   * its placement changed since `revision` (the source primary's take-back after a hold
   * that ran out rewrites the placement, so the two cannot both land), the source group
   * has not failed over since `groupRevision`, and the target group's members are those
   * that took the copy (`targetRevision`).
   */
  async switchTable(
    record: TableRecord,
    revision: string,
    sourceGroup: string,
    groupRevision: string,
    targetGroup: string,
    targetRevision: string,
  ): Promise<string | undefined> {
    const key = this.keys.table(record.name);
    const placement = this.keys.placement(record.name);
    const result = await this.fenced()
      .and(key, 'Mod', '==', Number(revision))
      .and(placement, 'Mod', '==', Number(revision))
      .and(this.keys.group(sourceGroup), 'Mod', '==', Number(groupRevision))
      // The target's members unchanged since the copy began: each in-sync one holds the table.
      .and(this.keys.group(targetGroup), 'Mod', '==', Number(targetRevision))
      .then(this.etcd.put(key).value(JSON.stringify(record)), this.etcd.put(placement).value(JSON.stringify(placementOf(record))))
      .commit();
    return result.succeeded ? result.header.revision : undefined;
  }

  async deleteTable(name: string, revision: string): Promise<boolean> {
    const key = this.keys.table(name);
    const result = await this.fenced()
      .and(key, 'Mod', '==', Number(revision))
      .then(this.etcd.delete().key(key), this.etcd.delete().key(this.keys.placement(name)))
      .commit();
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
      if (this.eventSequence > EVENTS_KEPT)
        await this.etcd.delete().inRange({ start: this.keys.events, end: this.keys.event(this.eventSequence - EVENTS_KEPT) });
    } catch (error) {
      this.logger.warn('could not record an event', { kind, error: (error as Error).message });
    }
  }

  private fenced() {
    if (this.fenceKey === undefined) throw errors.notLeader('this master', 'it lost the lead during the change');
    return this.etcd.if(this.fenceKey, 'Create', '>', 0);
  }
}
