/**
 * The ReplicationService handlers of a region: Apply (on a replica, a stream of batches
 * from its primary), Snapshot and Join (on a primary, from a replica catching up) and
 * Health (a beat stream the master watches).
 *
 * Each request names the region it comes from; with TLS, only that region's certificate
 * may say so (checkRegionClaim), so no other host, nor another region of the cluster,
 * can write into this replica's log, join a group as someone else, or take its snapshots.
 * The epoch fencing then decides whether the named region is the group's primary.
 */
import * as grpc from '@grpc/grpc-js';
import {
  callerOf,
  checkMasterCaller,
  checkRegionClaim,
  checkServerCaller,
  errors,
  MiniSqlError,
  type ApplyRequest__Output,
  type ApplyTableEntriesRequest__Output,
  type FetchTableRequest__Output,
  type HoldTableRequest__Output,
  type ReadLogRequest__Output,
  type ReleaseTableRequest__Output,
  type SnapshotTableRequest__Output,
  type ApplyResponse,
  type Logger,
  type ReplicationServiceHandlers,
} from '@minisql/common';
import type { GroupMembership } from './group-membership.js';
import type { ClusterExecutor } from './cluster-executor.js';
import type { JoinCoordinator } from './group-join.js';
import type { SqlEngine } from './sql-engine.js';
import { fromLogEntry } from './log-entry.js';
import { ApplyQueue } from './apply-queue.js';
import type { TableMoves } from './table-move.js';

/** Bounds on the beat interval a master may ask for, in milliseconds. */
const HEALTH_INTERVAL_MS_MIN = 50;
const HEALTH_INTERVAL_MS_MAX = 10_000;
/** The longest a primary holds still for a switchover the master does not complete, in milliseconds. */
const HANDOVER_HOLD_MS_MAX = 10_000;

export function replicationServiceHandlers(
  engine: SqlEngine,
  membership: GroupMembership | undefined,
  joins: JoinCoordinator | undefined,
  executor: ClusterExecutor | undefined,
  regionId: string,
  incarnation: string,
  logger: Logger,
  moves?: TableMoves,
  /** The copy this region is making of its group's tables, if any (sent with each health beat). */
  copyUnderWay: () => { table: string; bytes: number; expectedBytes: number; rateBytesPerSecond: number } | undefined = () => undefined,
): ReplicationServiceHandlers {
  const standalone = (): never => {
    throw errors.unsupported('replication on a standalone region');
  };
  /** A unary call from the master: `work` answers it, a thrown error becomes its `error`. */
  const fromMaster =
    <Request, Response>(rpc: string, work: (request: Request) => Response | Promise<Response>) =>
    (call: grpc.ServerUnaryCall<Request, Response>, callback: grpc.sendUnaryData<Response>) => {
      Promise.resolve()
        .then(() => refuse(checkMasterCaller(callerOf(call), rpc), logger))
        .then(() => work(call.request))
        .then(
          (response) => callback(null, response),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() } as Response),
        );
    };
  const moving = (): TableMoves => moves ?? standalone();
  const executing = (): ClusterExecutor => executor ?? standalone();
  return {
    SnapshotTable: fromMaster('SnapshotTable', (request: SnapshotTableRequest__Output) => moving().snapshotTable(request.table, request.for_region)),
    ReadLog: fromMaster('ReadLog', (request: ReadLogRequest__Output) => moving().readLog(request.table, Number(request.after), request.entries_max)),
    HoldTable: fromMaster('HoldTable', async (request: HoldTableRequest__Output) => {
      logger.info('holding a table for the end of its move', { table: request.table });
      const position = await executing().holdTable(request.table, Math.min(Math.max(request.hold_ms, 100), HANDOVER_HOLD_MS_MAX));
      return { position };
    }),
    ReleaseTable: fromMaster('ReleaseTable', async (request: ReleaseTableRequest__Output) => {
      await executing().releaseTable(request.table, request.moved ? { group: request.group, revision: Number(request.revision) } : undefined);
      moving().moveEnded(request.table);
      logger.info(request.moved ? 'table moved to another group' : 'table move given up; the table stays', { table: request.table });
      return {};
    }),
    FetchTable: fromMaster('FetchTable', async (request: FetchTableRequest__Output) => ({ position: await moving().fetch(request) })),
    ApplyTableEntries: fromMaster('ApplyTableEntries', async (request: ApplyTableEntriesRequest__Output) => ({
      position: await moving().applyEntries(request.table, request.entries),
    })),
    Snapshot(call, callback) {
      Promise.resolve()
        .then(() => refuse(checkRegionClaim(callerOf(call), call.request.replica_id, 'Snapshot'), logger))
        .then(() => (joins ?? standalone()).snapshot(call.request))
        .then(
          (response) => callback(null, response),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() }),
        );
    },
    Join(call, callback) {
      Promise.resolve()
        .then(() => refuse(checkRegionClaim(callerOf(call), call.request.replica_id, 'Join'), logger))
        .then(() => (joins ?? standalone()).join(call.request))
        .then(
          () => callback(null, {}),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() }),
        );
    },
    Apply(call) {
      const caller = callerOf(call);
      const queue = new ApplyQueue<ApplyRequest__Output, Set<string>>({
        apply: (request) => {
          refuse(checkRegionClaim(caller, request.primary_id, 'Apply'), logger);
          return apply(engine, membership, request, logger);
        },
        // Answered once on disk: the primary acknowledges on this answer.
        durable: (tables) => engine.durable(tables),
        answer: (request, outcome) => {
          let response: ApplyResponse = { sequence: request.sequence };
          if (!outcome.applied) {
            const error = MiniSqlError.from(outcome.failure);
            if (error.code === 'REPLICA_DIVERGED') {
              // Loud: this copy is not its primary's. The primary takes this region out of
              // the in-sync set, and it copies every table afresh.
              logger.error('this replica diverged from its primary and refuses its entries until it is copied afresh', {
                primary: request.primary_id,
                epoch: request.epoch,
                error: error.message,
              });
            }
            response = { sequence: request.sequence, error: error.toProto() };
          }
          if (!call.cancelled) call.write(response);
        },
      });
      call.on('data', (request: ApplyRequest__Output) => queue.push(request));
      call.on('end', () => void queue.drained().then(() => call.end()));
      // A broken stream: the primary opens a new one; nothing to clean up here.
      call.on('error', () => undefined);
    },
    TableChecksum(call, callback) {
      Promise.resolve()
        .then(async () => {
          if (!membership) return standalone();
          const role = membership.current;
          const request = call.request;
          refuse(checkRegionClaim(callerOf(call), request.primary_id, 'TableChecksum'), logger);
          if (role.kind !== 'replica' || role.group.id !== request.group_id || !role.inSync) {
            throw errors.notPrimary(membership.regionId, `it is not an in-sync replica of ${request.group_id}`);
          }
          if (request.epoch !== role.group.epoch || request.primary_id !== role.group.primary)
            throw errors.staleEpoch(role.group.id, role.group.epoch, request.epoch);
          const { position, rows, checksum } = await engine.tableChecksum(request.table);
          return { position, rows, checksum };
        })
        .then(
          (response) => callback(null, response),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() }),
        );
    },
    Handover(call, callback) {
      Promise.resolve()
        .then(() => refuse(checkMasterCaller(callerOf(call), 'Handover'), logger))
        .then(() => {
          if (!executor) return standalone();
          const { group_id: group, epoch, target, hold_ms: holdMs } = call.request;
          logger.info('handing the group over (planned switchover)', { group, epoch, target });
          return executor.handOver(group, epoch, target, Math.min(Math.max(holdMs, 100), HANDOVER_HOLD_MS_MAX));
        })
        .then(
          () => callback(null, {}),
          (thrown) => callback(null, { error: MiniSqlError.from(thrown).toProto() }),
        );
    },
    Health(call: grpc.ServerWritableStream<{ interval_ms: number }, unknown>) {
      const denied = checkServerCaller(callerOf(call), 'Health');
      if (denied) {
        logger.warn('call refused', { error: denied.message });
        call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: denied.message });
        return;
      }
      const interval = Math.min(HEALTH_INTERVAL_MS_MAX, Math.max(HEALTH_INTERVAL_MS_MIN, call.request.interval_ms || 500));
      const beat = (): void => {
        const copy = copyUnderWay();
        void call.write({
          region_id: regionId,
          incarnation,
          ...(copy ? { copy: { table: copy.table, bytes: copy.bytes, expected_bytes: copy.expectedBytes, bytes_per_second: copy.rateBytesPerSecond } } : {}),
        });
      };
      beat();
      const timer = setInterval(beat, interval);
      const end = (): void => clearInterval(timer);
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  };
}

/** Throws a refusal, logged loudly: a refused caller is a misconfiguration or an attack. */
function refuse(denied: MiniSqlError | undefined, logger: Logger): void {
  if (!denied) return;
  logger.warn('call refused', { error: denied.message });
  throw denied;
}

/** Applies a batch in this region's files (committed, not yet synced); the tables it wrote. */
async function apply(engine: SqlEngine, membership: GroupMembership | undefined, request: ApplyRequest__Output, logger: Logger): Promise<Set<string>> {
  if (!membership) throw errors.unsupported('replication on a standalone region');
  let role = membership.current;
  // A newer epoch than this region knows means its view is behind: read etcd again.
  if (role.kind !== 'replica' || role.group.id !== request.group_id || role.group.epoch < request.epoch) role = await membership.refresh();
  if (role.kind !== 'replica' || role.group.id !== request.group_id) {
    throw errors.notPrimary(membership.regionId, `it is not a replica of ${request.group_id}, so it takes no writes from ${request.primary_id}`);
  }
  if (request.epoch < role.group.epoch) throw errors.staleEpoch(role.group.id, role.group.epoch, request.epoch);
  if (request.primary_id !== role.group.primary) throw errors.staleEpoch(role.group.id, role.group.epoch, request.epoch);
  engine.applyBatch(request.entries.map(fromLogEntry));
  if (request.entries.length > 0) logger.debug('applied entries', { count: request.entries.length, epoch: request.epoch });
  return new Set(request.entries.map((entry) => entry.table));
}
