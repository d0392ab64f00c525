/**
 * This region's view of its replica group, kept current from etcd: the group records
 * (who is primary, in which epoch, which replicas are in sync) and the live regions'
 * addresses. A primary also changes its own group through here, by transactions that
 * compare the record it read.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { randomUUID } from 'node:crypto';
import {
  admittedToInSync,
  nameKey,
  withCatchingUp,
  parseGroupRecord,
  parsePlacementRecord,
  parseRegionRecord,
  type EtcdKeys,
  type GroupRecord,
  type Logger,
  type PlacementRecord,
  type RegionRecord,
} from '@minisql/common';
import { roleOf, type GroupRole } from './group-role.js';

export class GroupMembership {
  private groups = new Map<string, { record: GroupRecord; revision: string }>();
  private regions = new Map<string, RegionRecord>();
  /** Which group serves each table, by lower-case name (see PlacementRecord). */
  private placementMap: ReadonlyMap<string, PlacementRecord> = new Map();
  /** The etcd revision each placement was written at (or noted at), by lower-case name. */
  private placementRevisions: ReadonlyMap<string, number> = new Map();
  /**
   * The etcd revision the view was read at (or a switch noted at): a read that finishes
   * after a newer one was applied is dropped, so the view never goes back in time (a
   * stale view could serve a table that has moved away).
   */
  private viewRevision = 0;
  private watcher: Watcher | undefined;
  /** Undefined until the first read from etcd. */
  private role: GroupRole | undefined;
  private readonly listeners: Array<(role: GroupRole) => void> = [];
  private readonly readListeners: Array<(role: GroupRole) => void> = [];

  constructor(
    private readonly etcd: Etcd3,
    private readonly keys: EtcdKeys,
    readonly regionId: string,
    private readonly incarnation: string,
    readonly logger: Logger,
  ) {}

  get current(): GroupRole {
    return this.role ?? { kind: 'spare' };
  }

  onChange(listener: (role: GroupRole) => void): void {
    this.listeners.push(listener);
  }

  /** Calls `listener` after every read of the groups, changed or not (cheap listeners only). */
  onEachRead(listener: (role: GroupRole) => void): void {
    this.readListeners.push(listener);
  }

  /** Loads the groups and regions, then follows every change. */
  async start(): Promise<void> {
    this.watcher = await this.etcd.watch().prefix(this.keys.prefix).create();
    this.watcher.on('data', () => void this.refresh().catch((error: Error) => this.logger.warn('could not refresh the group view', { error: error.message })));
    // Without a listener an 'error' event would end the process; the watcher reconnects by
    // itself and resumes from its revision, and the view is read again once it does.
    this.watcher.on('error', (error: Error) => this.logger.warn('etcd watch error; it reconnects by itself', { error: error.message }));
    this.watcher.on('connected', () => void this.refresh().catch(() => undefined));
    await this.refresh();
  }

  async stop(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
  }

  /** Reads groups, regions and placements from etcd now. */
  async refresh(): Promise<GroupRole> {
    // One read-only transaction: the three prefixes at one revision, in one round trip. A
    // region that finds itself promoted here sees every table switch that happened before
    // its promotion, so a new primary never serves a table that moved away from its group.
    const ranges = [this.keys.groups, this.keys.regions, this.keys.placements].map((prefix) => this.etcd.getAll().prefix(prefix));
    // The compare only selects a branch; both branches hold the same reads.
    const answer = await this.etcd
      .if(this.keys.groups, 'Create', '>', 0)
      .then(...ranges)
      .else(...ranges)
      .commit();
    const [groups, regions, placements] = answer.responses.map((r) => r.response_range?.kvs ?? []);
    const nextGroups = new Map<string, { record: GroupRecord; revision: string }>();
    for (const kv of groups ?? []) {
      const record = parseGroupRecord(kv.key.toString(), kv.value.toString());
      nextGroups.set(record.id, { record, revision: kv.mod_revision });
    }
    const nextRegions = new Map<string, RegionRecord>();
    for (const kv of regions ?? []) {
      const record = parseRegionRecord(kv.key.toString(), kv.value.toString());
      nextRegions.set(record.id, record);
    }
    const nextPlacements = new Map<string, PlacementRecord>();
    const nextRevisions = new Map<string, number>();
    for (const kv of placements ?? []) {
      const record = parsePlacementRecord(kv.key.toString(), kv.value.toString());
      nextPlacements.set(nameKey(record.table), record);
      nextRevisions.set(nameKey(record.table), Number(kv.mod_revision));
    }
    const revision = Number(answer.header.revision);
    if (revision < this.viewRevision) return this.current;
    this.viewRevision = revision;
    this.groups = nextGroups;
    this.regions = nextRegions;
    this.placementMap = nextPlacements;
    this.placementRevisions = nextRevisions;
    const before = this.role;
    this.role = roleOf(
      this.regionId,
      this.incarnation,
      [...nextGroups.values()].map((g) => g.record),
    );
    if (before === undefined || describe(before) !== describe(this.role)) {
      this.logger.info('group role changed', { role: describe(this.role) });
      for (const listener of this.listeners) listener(this.role);
    }
    for (const listener of this.readListeners) listener(this.role);
    return this.current;
  }

  addressOf(regionId: string): string | undefined {
    return this.regions.get(regionId)?.grpcAddress;
  }

  /**
   * As primary of `groupId` in `epoch`: moves a caught-up replica into the in-sync set,
   * if it still copies under `assignment` in the record the compare-and-set is made
   * against (catch-up-assignments.ts).
   */
  async admitToInSync(groupId: string, epoch: number, replica: string, assignment: string): Promise<boolean> {
    return this.changeOwnGroup(groupId, epoch, (record) => admittedToInSync(record, replica, assignment));
  }

  /**
   * Applies `change` to this primary's own group record by compare-and-set. `change`
   * returns undefined when the change may not be made, the record itself when there is
   * nothing to change (true, nothing written).
   */
  private async changeOwnGroup(groupId: string, epoch: number, change: (record: GroupRecord) => GroupRecord | undefined): Promise<boolean> {
    await this.refresh();
    const entry = this.groups.get(groupId);
    if (!entry || entry.record.epoch !== epoch || entry.record.primary !== this.regionId) return false;
    const record = change(entry.record);
    if (!record) return false;
    if (record === entry.record) return true; // nothing to change
    const key = this.keys.group(groupId);
    const result = await this.etcd
      .if(key, 'Mod', '==', Number(entry.revision))
      .then(this.etcd.put(key).value(JSON.stringify(record)))
      .commit();
    await this.refresh();
    return result.succeeded;
  }

  /**
   * As primary of `groupId` in `epoch`: takes replicas out of the in-sync set, so that
   * writes they missed can be acknowledged and they can never be promoted. False when
   * the group changed meanwhile (this region may no longer lead it).
   */
  async removeFromInSync(groupId: string, epoch: number, replicas: readonly string[]): Promise<boolean> {
    const changed = await this.changeOwnGroup(groupId, epoch, (record) =>
      // Already out (a batch shipped before this one failed there first): nothing to write.
      replicas.some((id) => record.inSync.includes(id))
        ? {
            // Out of sync: it copies the tables again, under a new assignment, before it may rejoin the set.
            ...withCatchingUp(
              record,
              replicas.filter((id) => record.inSync.includes(id)),
              randomUUID,
            ),
            inSync: record.inSync.filter((id) => !replicas.includes(id)),
          }
        : record,
    );
    if (changed) this.logger.warn('removed replicas from the in-sync set', { group: groupId, epoch, replicas });
    return changed;
  }

  /**
   * As primary of `groupId` in `epoch`, after a handover the master did not complete:
   * writes the group record again unchanged, which moves its revision, so a switchover
   * the master may still be about to write (compared against the old revision) fails.
   * False when the group changed first: the switchover landed.
   */
  async reclaimGroup(groupId: string, epoch: number): Promise<boolean> {
    const kept = await this.changeOwnGroup(groupId, epoch, (record) => ({ ...record }));
    this.logger.warn(kept ? 'a switchover did not complete: this primary serves its group again' : 'the switchover landed while the hold ended', {
      group: groupId,
      epoch,
    });
    return kept;
  }

  /**
   * The master's word that `placement` holds since etcd `revision` (the switch of a move):
   * taken at once, and no read older than the switch replaces it.
   */
  notePlacement(placement: PlacementRecord, revision: number): void {
    const key = nameKey(placement.table);
    // A word that comes late (the table has moved again since) changes nothing.
    if ((this.placementRevisions.get(key) ?? 0) >= revision) return;
    const next = new Map(this.placementMap);
    next.set(key, placement);
    this.placementMap = next;
    this.placementRevisions = new Map(this.placementRevisions).set(key, revision);
    this.viewRevision = Math.max(this.viewRevision, revision);
  }

  /** Which group serves each table, by lower-case name, as last read. */
  get placements(): ReadonlyMap<string, PlacementRecord> {
    return this.placementMap;
  }

  /**
   * As primary of the group serving `table`, after a hold for its move that the master did
   * not end: writes the placement again unchanged, which moves its revision, so a switch
   * the master may still be about to write (compared against the old revision) fails.
   * False when the placement names another group (the switch landed).
   */
  async reclaimTable(table: string): Promise<boolean> {
    const key = this.keys.placement(table);
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await this.etcd.get(key).exec();
      const kv = response.kvs[0];
      const role = this.current;
      if (!kv || role.kind !== 'primary') break;
      const placement = parsePlacementRecord(key, kv.value.toString());
      if (placement.group !== role.group.id) break;
      const result = await this.etcd.if(key, 'Mod', '==', Number(kv.mod_revision)).then(this.etcd.put(key).value(kv.value)).commit();
      if (result.succeeded) {
        await this.refresh();
        this.logger.warn('a table move did not complete: this primary serves the table again', { table });
        return true;
      }
    }
    await this.refresh();
    this.logger.info('the table moved while its hold ended', { table });
    return false;
  }

  /** The FTP address of a live region. */
  ftpAddressOf(regionId: string): string | undefined {
    return this.regions.get(regionId)?.ftpAddress;
  }
}

function describe(role: GroupRole): string {
  switch (role.kind) {
    case 'primary':
      return `primary of ${role.group.id} epoch ${role.group.epoch} in-sync [${role.group.inSync.join(',')}]`;
    case 'restarted':
      return `restarted primary of ${role.group.id} (waiting for the master)`;
    case 'replica':
      return `${role.inSync ? 'in-sync' : 'catching-up'} replica of ${role.group.id} epoch ${role.group.epoch} (primary ${role.group.primary})`;
    default:
      return role.kind;
  }
}
