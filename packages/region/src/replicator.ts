/**
 * Ships logged writes from the primary to every in-sync replica and waits for them all.
 * A replica that does not apply them in time is taken out of the in-sync set (in etcd)
 * before the writes are acknowledged: an acknowledged write is always on every replica
 * that could be promoted. Batches travel on one Apply stream per replica, so several
 * can be in flight and still arrive in order.
 */
import {
  chunkByBytes,
  errors,
  MiniSqlError,
  type ApplyRequest,
  type ApplyResponse__Output,
  type GroupRecord,
  type LogEntry,
  type Logger,
  type TlsIdentity,
} from '@minisql/common';
import { replicationStub, SequencedStream } from '@minisql/wire';
import type { GroupMembership } from './group-membership.js';
import type { LoggedWrite } from './sql-engine.js';
import { loggedWriteBytes, toLogEntry } from './log-entry.js';

/**
 * Time a replica has to apply one batch, in milliseconds, plus the time its bytes take at
 * REPLICA_BYTES_PER_MS_MIN; counted from when the replica answered the batch before it
 * (SequencedStream, ordered), so a replica working through a burst is judged by its
 * progress, batch by batch, however long the queue. A fixed second from the sending took
 * a replica out of the set at the first burst of large writes (one 14 MiB write costs a
 * replica more than a second of receiving, decoding, two SQLite writes and an fsync on a
 * small machine), and a budget from the sending was still too short when the machine was
 * busy with other work as well.
 */
export const REPLICATION_TIMEOUT_MS = 1_000;
/**
 * The slowest a replica may apply large writes and stay in sync: 2 MiB a second. The
 * first batch of a burst has no answer before it, so its time counts from its sending and
 * covers carrying its bytes to the replica while the primary is still taking in the rest
 * of the burst: measured on 2 cores, the first 14 MiB write of a burst of 20 took 2.2 to
 * 2.6 s to be answered (1.75 s of it to leave the primary) and 3.9 s with both cores also
 * busy with other work, against the 4.5 s that 4 MiB a second gave; later batches took
 * 0.4 to 1.2 s. At 4 MiB a second a replica was taken out of the set by the burst test
 * in two of eight suite runs. The cost: a replica that stops in the middle of a large
 * write holds its group's acknowledgements up to 8 s for 14 MiB instead of 4.5 s; small
 * writes keep their second.
 */
export const REPLICA_BYTES_PER_MS_MIN = (2 * 1024 * 1024) / 1_000;
/** Entries and bytes per message when a joining replica receives the tail, and the time it has for each. */
export const JOIN_CHUNK_ENTRIES = 1_000;
export const JOIN_CHUNK_BYTES_MAX = 16 * 1024 * 1024;
export const JOIN_CHUNK_TIMEOUT_MS = 30_000;

/** A batch on its way to the replicas: `settle` decides whether it may be acknowledged. */
export interface ShippedBatch {
  /**
   * Resolves once every in-sync replica has the writes (or was removed from the set);
   * throws NOT_PRIMARY if deposed. Call it in the order the batches were shipped: a
   * replica that missed one batch is taken out of the set before the next is judged.
   */
  settle(): Promise<void>;
}

export class Replicator {
  /** One Apply stream per replica address. */
  private readonly streams = new Map<string, ReplicaStream>();

  constructor(
    private readonly membership: GroupMembership,
    /** This region's certificate, presented to the replicas; plaintext without one. */
    private readonly tls: TlsIdentity | undefined,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends a batch to every in-sync replica now, after the batches shipped before it;
   * several may be in flight.
   */
  ship(group: GroupRecord, writes: readonly LoggedWrite[]): ShippedBatch {
    if (writes.length === 0 || group.inSync.length === 0) return { settle: () => Promise.resolve() };
    const entries = writes.map(toLogEntry);
    const bytes = writes.reduce((sum, write) => sum + loggedWriteBytes(write), 0);
    const outcomes = Promise.all(group.inSync.map((replica) => this.send(replica, group, entries, bytes)));
    return { settle: async () => this.judge(group, await outcomes) };
  }

  /** Sends the log tail to a joining replica, in chunks; throws its refusal. */
  async sendTo(replica: string, group: GroupRecord, writes: readonly LoggedWrite[]): Promise<void> {
    for (const chunk of chunkByBytes(writes, loggedWriteBytes, JOIN_CHUNK_BYTES_MAX, JOIN_CHUNK_ENTRIES)) {
      const bytes = chunk.reduce((sum, write) => sum + loggedWriteBytes(write), 0);
      const failure = await this.send(replica, group, chunk.map(toLogEntry), bytes, JOIN_CHUNK_TIMEOUT_MS);
      if (failure) throw failure;
    }
  }

  close(): void {
    for (const { stream, close } of this.streams.values()) {
      stream.close();
      close();
    }
    this.streams.clear();
  }

  private async judge(group: GroupRecord, outcomes: readonly ApplyOutcome[]): Promise<void> {
    const deposed = outcomes.find((outcome) => outcome?.code === 'STALE_EPOCH');
    if (deposed) throw errors.notPrimary(this.membership.regionId, `a replica of ${group.id} knows a newer epoch: ${deposed.message}`);
    const failed = group.inSync.filter((_, i) => outcomes[i] !== undefined);
    if (failed.length === 0) return;
    this.logger.warn('replicas did not apply a batch', { group: group.id, failed, reasons: outcomes.filter(Boolean).map((e) => e?.message) });
    if (!(await this.membership.removeFromInSync(group.id, group.epoch, failed))) {
      throw errors.notPrimary(
        this.membership.regionId,
        `${failed.join(', ')} missed writes and group ${group.id} changed before they could be taken out of its in-sync set`,
      );
    }
  }

  /**
   * Connects now to the regions this one would replicate to if it were promoted (the
   * other members of its group), so that a switchover's first batch waits for no TLS
   * handshake. Nothing is sent.
   */
  warm(regions: readonly string[]): void {
    for (const region of regions) {
      const address = this.membership.addressOf(region);
      if (address !== undefined) this.streamTo(address).connect();
    }
  }

  private streamTo(address: string): ReplicaStream {
    let entry = this.streams.get(address);
    if (!entry) {
      const client = replicationStub(address, this.tls);
      // A batch not applied in time breaks the stream: the batches after it would find a gap.
      entry = {
        stream: new SequencedStream({ address, open: () => client.Apply(), timeoutBreaksStream: true }),
        close: () => client.close(),
        connect: () => void client.getChannel().getConnectivityState(true),
      };
      this.streams.set(address, entry);
    }
    return entry;
  }

  private send(replica: string, group: GroupRecord, entries: LogEntry[], bytes: number, baseTimeoutMs = REPLICATION_TIMEOUT_MS): Promise<ApplyOutcome> {
    const address = this.membership.addressOf(replica);
    if (address === undefined) return Promise.resolve(errors.unavailable(replica, 'it is not registered'));
    const stream = this.streamTo(address);
    // The batch's own bytes: its time starts once the replica has answered the one before.
    const timeoutMs = replicationTimeoutMs(baseTimeoutMs, bytes);
    return stream.stream.request({ group_id: group.id, epoch: group.epoch, primary_id: this.membership.regionId, entries }, timeoutMs).then(
      (response) => (response.error && response.error.code !== '' ? MiniSqlError.fromProto(response.error) : undefined),
      (failure: MiniSqlError) => failure,
    );
  }
}

/** The time a batch has once the replica has answered the one before it, given its bytes (pure). */
export function replicationTimeoutMs(baseTimeoutMs: number, batchBytes: number): number {
  return baseTimeoutMs + Math.ceil(batchBytes / REPLICA_BYTES_PER_MS_MIN);
}

/** The Apply stream to one replica, over its own connection. */
interface ReplicaStream {
  stream: SequencedStream<ApplyRequest, ApplyResponse__Output>;
  close: () => void;
  /** Starts connecting now, if not connected (a switchover's first batch then waits for no handshake). */
  connect: () => void;
}

/** Undefined when the replica applied the batch, else why not. */
type ApplyOutcome = MiniSqlError | undefined;
