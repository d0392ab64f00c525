/**
 * `move table T to g2`: the table is copied to another group while writes go on, then its
 * placement switches in one compare-and-set, with writes to it paused only for the last
 * few entries. The steps (the regions' halves are region/src/table-move.ts):
 *   1. the record and placement say `movingTo: g2` (the source group keeps serving);
 *   2. the source primary snapshots the table once; every live member of g2 fetches that
 *      snapshot over FTP, so all hold it at one position, with its log of request ids;
 *   3. the entries logged since go from the source primary to g2's primary, which applies
 *      them and replicates them in g2, round after round while writes go on;
 *   4. the source primary holds the table (statements on it wait, the batches in flight
 *      finish) and reports its last position; the last entries go over; the placement
 *      switches to g2, compared against the revision of step 1 (which the source's
 *      take-back after a hold that ran out would have moved) and against the source
 *      group's record (a failover since the hold fails the switch);
 *   5. the hold is released: statements waiting on it are refused NOT_PRIMARY and the
 *      clients read the new route; the old copies are dropped.
 * A failure before the switch gives the move up: the hold released, the copies in g2
 * dropped, `movingTo` cleared. A master that dies midway leaves `movingTo` behind; the
 * next one gives that move up (resumeUnfinished).
 */
import {
  errors,
  groupMembers,
  nameKey,
  type GroupRecord,
  type HoldTableResponse__Output,
  type Logger,
  type ReadLogResponse__Output,
  type SnapshotResponse__Output,
  type TableRecord,
  type ApplyTableEntriesResponse__Output,
  type FetchTableResponse__Output,
  type MoveUnderWay,
  compareGroupIds,
} from '@minisql/common';
import type { ClusterView } from './cluster-view.js';
import type { MetadataStore } from './metadata-store.js';
import { RegionCalls, type ReplicationStubFactory } from './region-calls.js';

/** How long the source primary holds the table for the switch, in milliseconds. */
export const MOVE_HOLD_MS = 2_000;
/** Time for one region call of a move (a snapshot or a fetch of a large table takes long), in milliseconds. */
const MOVE_CALL_TIMEOUT_MS = 120_000;
/** Time for a call on the write pause, in milliseconds. */
const MOVE_PAUSE_CALL_TIMEOUT_MS = 1_500;
/** Entries asked per ReadLog. */
const READ_LOG_ENTRIES = 2_000;
/** Switch once a round of catching up leaves fewer entries than this behind. */
const CATCH_UP_ENTRIES_CLOSE = 100;
/** Most rounds of catching up before holding the table anyway. */
const CATCH_UP_ROUNDS_MAX = 50;

export interface MovePlan {
  record: TableRecord;
  from: GroupRecord;
  to: GroupRecord;
  /** Addresses: the source primary (gRPC and FTP), the target primary, every live target member. */
  sourcePrimary: { id: string; grpc: string; ftp: string };
  targetPrimary: string;
  targetMembers: string[];
}

/** Checks a move against the view; the reasons name the table and the groups. */
export function planMove(view: ClusterView, table: string, target: string): MovePlan {
  const record = view.tables.get(nameKey(table));
  if (!record || record.state !== 'ready') throw errors.tableNotFound(table);
  if (record.movingTo !== undefined) throw errors.invalidArgument(`table \`${record.name}\``, `it is already being moved to ${record.movingTo}`);
  const to = view.groups.get(target);
  if (!to) {
    const known = [...view.groups.keys()].sort(compareGroupIds).join(', ') || 'none yet';
    throw errors.invalidArgument(`group \`${target}\``, `it does not exist (groups: ${known})`);
  }
  if (record.group === to.id) throw errors.invalidArgument(`move of table \`${record.name}\``, `it is on group ${to.id} already`);
  const from = view.groups.get(record.group);
  if (!from) throw errors.noRoute(record.name, `its group ${record.group} does not exist`);
  const source = view.regions.get(from.primary);
  if (!source) throw errors.unavailable(from.primary, `the primary of group ${from.id} is not running: a failover is under way`);
  const targetPrimary = view.regions.get(to.primary);
  if (!targetPrimary) throw errors.unavailable(to.primary, `the primary of group ${to.id} is not running: a failover is under way`);
  // Every in-sync member must take the copy: one without it could be promoted after the switch.
  const down = to.inSync.filter((id) => !view.regions.has(id));
  if (down.length > 0) throw errors.unavailable(down.join(', '), `in-sync member(s) of group ${to.id} are not running; move the table once the group is whole`);
  const targetMembers = [to.primary, ...to.inSync].map((id) => view.regions.get(id)?.grpcAddress as string);
  return {
    record,
    from,
    to,
    sourcePrimary: { id: source.id, grpc: source.grpcAddress, ftp: source.ftpAddress },
    targetPrimary: targetPrimary.grpcAddress,
    targetMembers,
  };
}

export interface MoveOutcome {
  table: string;
  from: string;
  to: string;
  /** The table's log position at the switch. */
  position: number;
  /** Entries sent after the snapshot, and of those while writes were held. */
  entries: number;
  entriesHeld: number;
  /** How long statements on the table waited for the switch, in milliseconds. */
  heldMs: number;
  bytes: number;
}

export class TableMover {
  /** Moves under way on this master, by lower-case table name, for the status page and `status;`. */
  private readonly underWay = new Map<string, MoveUnderWay>();

  constructor(
    private readonly store: MetadataStore,
    private readonly openStub: ReplicationStubFactory,
    private readonly logger: Logger,
    /** Runs a catalog statement (drop table) on one region. */
    private readonly run: (address: string, sql: string) => Promise<unknown>,
  ) {}

  /** Moves `table` to group `target`; `onSwitched` runs as soon as the placement has switched (routes read again). */
  async move(table: string, target: string, onSwitched: () => Promise<void>): Promise<MoveOutcome> {
    const { view, tableRevisions, groupRevisions } = await this.store.load();
    const plan = planMove(view, table, target);
    const { record } = plan;
    // One move of a table at a time: the last one's drops may still be on their way.
    if (this.underWay.has(nameKey(record.name))) throw errors.invalidArgument(`table \`${record.name}\``, 'a move of it is still finishing');
    const targetRevision = groupRevisions.get(plan.to.id) as string;
    const moving = { ...record, movingTo: plan.to.id };
    const revision = await this.store.putTable(moving, tableRevisions.get(nameKey(record.name)) as string);
    if (revision === undefined) throw errors.invalidArgument(`table \`${record.name}\``, 'it changed while its move was being planned; run it again');
    const calls = new RegionCalls(this.openStub);
    let switched = false;
    const progress: MoveUnderWay = {
      table: record.name,
      from_group: plan.from.id,
      to_group: plan.to.id,
      phase: 'copying',
      bytes: 0,
      entries: 0,
      started_at_ms: Date.now(),
    };
    this.underWay.set(nameKey(record.name), progress);
    try {
      const outcome = await this.copyAndSwitch(plan, moving, revision, targetRevision, calls, async () => {
        switched = true;
        await onSwitched().catch(() => undefined);
      });
      await this.dropCopies(
        groupMembers(plan.from)
          .map((id) => view.regions.get(id)?.grpcAddress)
          .filter((address): address is string => address !== undefined),
        record.name,
        'the group it left',
      );
      return outcome;
    } catch (error) {
      if (!switched && !(error instanceof MoveUnsettled)) await this.giveUp(plan, moving, revision, calls);
      throw error instanceof MoveUnsettled ? errors.unavailable('etcd', error.message) : error;
    } finally {
      calls.close();
      this.underWay.delete(nameKey(record.name));
    }
  }

  /** The moves under way on this master. */
  movesUnderWay(): MoveUnderWay[] {
    return [...this.underWay.values()].map((move) => ({ ...move }));
  }

  private async copyAndSwitch(
    plan: MovePlan,
    moving: TableRecord,
    revision: string,
    /** The target group's record revision when the move was planned: a change of its members since fails the switch. */
    targetRevision: string,
    calls: RegionCalls,
    onSwitched: () => Promise<void>,
  ): Promise<MoveOutcome> {
    const name = moving.name;
    const source = plan.sourcePrimary;
    // 2. One snapshot, fetched by every live member of the target group.
    const snapshot = await calls.call<unknown, SnapshotResponse__Output>(
      source.grpc,
      'SnapshotTable',
      { table: name, for_region: plan.to.id },
      MOVE_CALL_TIMEOUT_MS,
    );
    const file = snapshot.tables[0];
    if (!file) throw errors.internal(`the source primary made no snapshot of \`${name}\``);
    await Promise.all(
      plan.targetMembers.map((address) =>
        calls.call<unknown, FetchTableResponse__Output>(
          address,
          'FetchTable',
          { table: name, ftp_address: source.ftp, ftp_user: snapshot.ftp_user, ftp_password: snapshot.ftp_password, snapshot: file },
          MOVE_CALL_TIMEOUT_MS,
        ),
      ),
    );
    let position = Number(file.position);
    const progress = this.underWay.get(nameKey(name));
    if (progress) Object.assign(progress, { phase: 'catching-up', bytes: Number(file.bytes) });
    this.logger.info('table copied to its new group; catching up', { table: name, to: plan.to.id, position, bytes: Number(file.bytes) });
    // 3. Catch up while writes go on.
    let entries = 0;
    for (let round = 0; round < CATCH_UP_ROUNDS_MAX; round++) {
      const { sent, behind } = await this.sendEntries(calls, plan, name, position, MOVE_CALL_TIMEOUT_MS);
      position += sent;
      entries += sent;
      if (progress) progress.entries = entries;
      if (behind < CATCH_UP_ENTRIES_CLOSE) break;
    }
    // 4. The switch, with the table held on the source.
    if (progress) progress.phase = 'switching';
    const started = performance.now();
    const hold = await calls.call<unknown, HoldTableResponse__Output>(
      source.grpc,
      'HoldTable',
      { table: name, hold_ms: MOVE_HOLD_MS },
      MOVE_PAUSE_CALL_TIMEOUT_MS,
    );
    const heldAt = performance.now();
    const last = Number(hold.position);
    let entriesHeld = 0;
    while (position < last) {
      const { sent } = await this.sendEntries(calls, plan, name, position, MOVE_PAUSE_CALL_TIMEOUT_MS);
      if (sent === 0) throw errors.internal(`the log of \`${name}\` on ${source.id} stops at ${position}, before the held position ${last}`);
      position += sent;
      entriesHeld += sent;
    }
    const tailAt = performance.now();
    const from = await this.store.readGroup(plan.from.id);
    if (!from || from.record.primary !== source.id || from.record.epoch !== plan.from.epoch) {
      throw errors.unavailable(source.id, `group ${plan.from.id} changed its primary during the move of \`${name}\`; the move is given up`);
    }
    const switchedTo: TableRecord = { ...moving, group: plan.to.id };
    delete switchedTo.movingTo;
    const landed = await this.store
      .switchTable(switchedTo, revision, plan.from.id, from.revision, plan.to.id, targetRevision)
      .catch((error: Error) => this.switchOutcome(name, plan.to.id, error));
    if (landed === undefined) {
      throw errors.unavailable(
        source.id,
        `the placement of \`${name}\` or group ${plan.from.id} changed during the switch (the hold ran out?); the move is given up`,
      );
    }
    const switchedAt = performance.now();
    // 5. Statements held on the source are refused and go to the new group, whose primary
    // serves the table without waiting for its watch; routes are read again meanwhile.
    const release = { table: name, moved: true, group: plan.to.id, revision: landed };
    await Promise.all([
      calls
        .call(source.grpc, 'ReleaseTable', release, MOVE_PAUSE_CALL_TIMEOUT_MS)
        .catch((error: Error) => this.logger.warn('could not release the held table; its hold runs out by itself', { table: name, error: error.message })),
      calls.call(plan.targetPrimary, 'ReleaseTable', release, MOVE_PAUSE_CALL_TIMEOUT_MS).catch(() => undefined),
      onSwitched(),
    ]);
    const heldMs = Math.round(performance.now() - started);
    // Where the hold's time went, for anyone tuning it.
    const steps = {
      holdMs: Math.round(heldAt - started),
      lastEntriesMs: Math.round(tailAt - heldAt),
      switchMs: Math.round(switchedAt - tailAt),
      releaseMs: Math.round(performance.now() - switchedAt),
    };
    this.logger.info('table moved', {
      table: name,
      from: plan.from.id,
      to: plan.to.id,
      position,
      entries: entries + entriesHeld,
      entriesHeld,
      heldMs,
      ...steps,
    });
    return { table: name, from: plan.from.id, to: plan.to.id, position, entries: entries + entriesHeld, entriesHeld, heldMs, bytes: Number(file.bytes) };
  }

  /**
   * A switch whose answer was lost (etcd failed over under it): whether it landed is read
   * again. Landed: its revision. Not landed: undefined. Unknown: the move is neither
   * finished nor given up, so no copy is dropped; the next master settles it.
   */
  private async switchOutcome(table: string, target: string, error: Error): Promise<string | undefined> {
    const now = await this.store.load().catch(() => undefined);
    const record = now?.view.tables.get(nameKey(table));
    if (record?.group === target) return now?.tableRevisions.get(nameKey(table));
    if (record !== undefined && record.movingTo === target) return undefined;
    throw new MoveUnsettled(`the switch of \`${table}\` to ${target} may or may not have landed (${error.message}); nothing is dropped`);
  }

  /** One round: entries after `after` from the source to the target primary; returns how many went and how many remain. */
  private async sendEntries(calls: RegionCalls, plan: MovePlan, table: string, after: number, timeoutMs: number): Promise<{ sent: number; behind: number }> {
    const read = await calls.call<unknown, ReadLogResponse__Output>(
      plan.sourcePrimary.grpc,
      'ReadLog',
      { table, after, entries_max: READ_LOG_ENTRIES },
      timeoutMs,
    );
    if (read.entries.length === 0) return { sent: 0, behind: 0 };
    const applied = await calls.call<unknown, ApplyTableEntriesResponse__Output>(
      plan.targetPrimary,
      'ApplyTableEntries',
      { table, entries: read.entries },
      timeoutMs,
    );
    const reached = Number(applied.position);
    return { sent: reached - after, behind: Number(read.position) - reached };
  }

  /** Before the switch: the source serves on, the copies in the target group go, the record forgets the move. */
  private async giveUp(plan: MovePlan, moving: TableRecord, revision: string, calls: RegionCalls): Promise<void> {
    this.logger.warn('giving a table move up', { table: moving.name, to: plan.to.id });
    await calls.call(plan.sourcePrimary.grpc, 'ReleaseTable', { table: moving.name, moved: false }, MOVE_PAUSE_CALL_TIMEOUT_MS).catch(() => undefined);
    await this.forgetMove(moving, revision, plan.targetMembers);
  }

  /**
   * Clears `movingTo` (if the record is still as the move left it), then drops the copies
   * in the target group; if the record changed, nothing is dropped (it may name that group now).
   */
  async forgetMove(moving: TableRecord, revision: string, targetMembers: readonly string[]): Promise<void> {
    const kept: TableRecord = { ...moving };
    delete kept.movingTo;
    const cleared = await this.store.putTable(kept, revision).catch((error: Error) => {
      this.logger.warn('could not clear a given-up move from the table record; the next master tries again', { table: moving.name, error: error.message });
      return undefined;
    });
    if (cleared === undefined) return;
    await this.dropCopies(targetMembers, moving.name, 'the group it was to move to');
  }

  private async dropCopies(addresses: readonly string[], table: string, where: string): Promise<void> {
    for (const address of addresses) {
      await this.run(address, `drop table if exists \`${table}\``).catch((error: Error) =>
        this.logger.warn(`could not drop a copy of a moved table in ${where}; it is never served there`, { table, address, error: error.message }),
      );
    }
  }
}

/** A switch whose outcome could not be read: the move is left as it is for the next master. */
class MoveUnsettled extends Error {}
