/**
 * The fencing rules of a region in a cluster, in one place and pure: what it knows of
 * itself (role in its group, whether its lease is certainly valid, entries not yet
 * confirmed on its replicas) and what is asked of it in, a decision out. The executor
 * obeys; `test/testdata/fencing.txt` holds the scenarios, one per rule and per window a
 * reviewer tried.
 */
import { errors, nameKey, type MiniSqlError, type PlacementRecord } from '@minisql/common';
import type { GroupRole } from './group-role.js';

export interface FencingView {
  regionId: string;
  role: GroupRole;
  /** The lease that owns this region's key is certainly valid now (LeaseClock). */
  leaseValid: boolean;
  /** Logged entries whose replication failed and that are not yet on the in-sync replicas. */
  unconfirmedEntries: number;
  /** Refuse writes while the group has no in-sync replica (strictReplication). */
  strictReplication: boolean;
  /**
   * A planned switchover is under way: this primary hands its group to `target` and
   * takes no statement meanwhile (the batches already in flight still finish).
   */
  handingOverTo?: string;
  /** Which group serves each table, by lower-case name; a table not listed is served where it is. */
  placements?: ReadonlyMap<string, PlacementRecord>;
}

export type FencedAction =
  /** A client's write arrives, with the epoch of the route it used (0: none) and the tables it touches. */
  | { kind: 'write'; clientEpoch: number; tables?: readonly string[] }
  /** A client's read arrives; `replicaRead` when the client accepts a replica's answer. */
  | { kind: 'read'; clientEpoch: number; replicaRead: boolean; tables?: readonly string[] }
  /** A read has run and the writes it saw have settled: may its answer go out? */
  | { kind: 'answer-read'; tables?: readonly string[] }
  /** A batch has replicated: may its writes be acknowledged? */
  | { kind: 'acknowledge' };

export type FencingDecision =
  | { verdict: 'allow'; stale: boolean }
  /** `refreshView`: this region's view of the group is behind (a client knows a newer epoch). */
  | { verdict: 'refuse'; error: MiniSqlError; refreshView: boolean };

const ALLOW: FencingDecision = { verdict: 'allow', stale: false };
const refuse = (error: MiniSqlError, refreshView = false): FencingDecision => ({ verdict: 'refuse', error, refreshView });

export function decide(view: FencingView, action: FencedAction): FencingDecision {
  switch (action.kind) {
    case 'write':
      return (
        primaryRefusal(view) ??
        handoverRefusal(view) ??
        epochRefusal(view, action.clientEpoch) ??
        placementRefusal(view, action.tables) ??
        strictRefusal(view) ??
        ALLOW
      );
    case 'read':
      if (action.replicaRead && view.role.kind === 'replica') return placementRefusal(view, action.tables) ?? { verdict: 'allow', stale: true };
      return primaryRefusal(view) ?? handoverRefusal(view) ?? epochRefusal(view, action.clientEpoch) ?? placementRefusal(view, action.tables) ?? ALLOW;
    case 'answer-read':
      // The target may take writes as soon as the master has switched: a read answered
      // here after that could miss them.
      return primaryRefusal(view) ?? handoverRefusal(view) ?? unconfirmedRefusal(view) ?? placementRefusal(view, action.tables) ?? ALLOW;
    case 'acknowledge':
      return primaryRefusal(view) ?? ALLOW;
  }
}

/** While handing over, statements go to the new primary (the client retries through a fresh route). */
function handoverRefusal(view: FencingView): FencingDecision | undefined {
  if (view.handingOverTo === undefined || view.role.kind !== 'primary') return undefined;
  return refuse(errors.notPrimary(view.regionId, `it is handing group ${view.role.group.id} over to ${view.handingOverTo} (a planned switchover)`));
}

/**
 * A table is served by the group its placement names, and by no other: after a move the
 * old group's members still hold the file until it is dropped (and a new primary of that
 * group must not serve it), and the new group's members hold it before the switch.
 */
function placementRefusal(view: FencingView, tables: readonly string[] | undefined): FencingDecision | undefined {
  const { role } = view;
  if (tables === undefined || view.placements === undefined || (role.kind !== 'primary' && role.kind !== 'replica')) return undefined;
  for (const table of tables) {
    const placement = view.placements.get(nameKey(table));
    if (placement === undefined || placement.group === role.group.id) continue;
    const reason =
      placement.movingTo === role.group.id
        ? `table \`${placement.table}\` is being moved to ${role.group.id}; group ${placement.group} serves it until the move ends`
        : `table \`${placement.table}\` is served by group ${placement.group}`;
    return refuse(errors.notPrimary(view.regionId, reason), true);
  }
  return undefined;
}

/** Why this region may not act as primary now. */
function primaryRefusal(view: FencingView): FencingDecision | undefined {
  const { role } = view;
  if (role.kind !== 'primary') return refuse(errors.notPrimary(view.regionId, notPrimaryReason(role)));
  if (!view.leaseValid) return refuse(errors.notPrimary(view.regionId, 'it cannot confirm its etcd lease, which may have expired'));
  return undefined;
}

function notPrimaryReason(role: GroupRole): string {
  if (role.kind === 'replica') return `it is a replica of ${role.group.id}, whose primary is ${role.group.primary}`;
  return `it is a ${role.kind} region`;
}

/** A client that saw an older epoch has an old route; one that saw a newer one knows more than this region. */
function epochRefusal(view: FencingView, clientEpoch: number): FencingDecision | undefined {
  const { role } = view;
  if (clientEpoch === 0 || role.kind !== 'primary' || clientEpoch === role.group.epoch) return undefined;
  if (clientEpoch < role.group.epoch) return refuse(errors.staleEpoch(role.group.id, role.group.epoch, clientEpoch));
  return refuse(errors.notPrimary(view.regionId, `a client knows epoch ${clientEpoch} of ${role.group.id}, newer than its ${role.group.epoch}`), true);
}

function strictRefusal(view: FencingView): FencingDecision | undefined {
  const { role } = view;
  if (!view.strictReplication || role.kind !== 'primary' || role.group.inSync.length > 0) return undefined;
  return refuse(errors.notEnoughReplicas(role.group.id));
}

/** A read could show a write that is on no replica yet, which a failover would lose. */
function unconfirmedRefusal(view: FencingView): FencingDecision | undefined {
  const { role } = view;
  if (role.kind !== 'primary' || view.unconfirmedEntries === 0) return undefined;
  return refuse(
    errors.notPrimary(
      view.regionId,
      `${view.unconfirmedEntries} write(s) it holds are not yet replicated to the in-sync replicas of ${role.group.id}; it ships them again`,
    ),
  );
}
