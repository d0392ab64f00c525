/**
 * Group commit on the primary: writes that arrive while batches are being replicated
 * wait and go together in the next one, so one SQLite commit per table and one
 * replication message carry many writes. Each write still succeeds or fails on its own
 * (see SqlEngine.executeBatch).
 *
 * Up to BATCHES_IN_FLIGHT_MAX (two) batches replicate at once: a batch is executed and shipped
 * while the ones before it are still on their way, and batches are judged and
 * acknowledged strictly in the order they ran. With one batch at a time the primary sat
 * idle for a whole replication round trip per batch.
 *
 * Entries whose replication failed stay in this region's files; they are *unconfirmed*
 * and shipped again with every batch (an empty one if no write comes) until a batch
 * carrying them is replicated to the in-sync set. Until then reads are refused
 * (unconfirmedEntries > 0): they could show a write a failover would lose. A retry
 * answered from the log ships its entry again too, and is acknowledged with that batch.
 */
import { MiniSqlError, errors, firstChunkLength, valueBytes, type ExecuteResponse, type SqlParam } from '@minisql/common';
import type { ExecutionOutcome, LoggedWrite } from './sql-engine.js';

/** Writes per batch at most; the queue beyond waits for the next batch. */
export const BATCH_WRITES_MAX = 256;
/**
 * Bytes of statements and parameters per batch at most (a single larger write goes
 * alone): a batch is one replication message, and a replica refuses messages past
 * 256 MiB; a burst of large writes must not make one it refuses and be ejected for it.
 */
export const BATCH_BYTES_MAX = 16 * 1024 * 1024;
/** Writes waiting at most; more are refused at once rather than queued without bound. */
export const QUEUE_WRITES_MAX = 10_000;
/**
 * Batches executed and shipped but not yet acknowledged, at most. Two hide the round
 * trip (one batch fills while the other replicates); more only made batches smaller:
 * measured with replicated inserts at 8 and 32 clients, 2 in flight gave 5-15 % more
 * throughput and 10-15 % less CPU per write than 4; 8 was no better than 4.
 */
export const BATCHES_IN_FLIGHT_MAX = 2;
/** Pause before unconfirmed entries are shipped again when no write brings them along. */
export const RESEND_DELAY_MS = 100;

export interface PendingWrite {
  sql: string;
  params: readonly SqlParam[];
  requestId: string;
  /** The table it changes, when known: a write to a table held for its move is refused. */
  table?: string;
  resolve: (response: ExecuteResponse) => void;
}

/** A batch on its way to the replicas. */
export interface ReplicatingBatch {
  /** Resolves when its writes may be acknowledged, throws when not; called in batch order. */
  settle(): Promise<void>;
}

export interface PipelinePorts {
  /**
   * Executes and logs the writes of a batch locally and commits them (synchronous
   * SQLite): one outcome per write, in order, an error for a write that failed.
   */
  executeBatch(writes: readonly PendingWrite[]): Array<ExecutionOutcome | MiniSqlError>;
  /** Ships the logged writes of a batch, after those of the batches before it; may throw. */
  replicate(writes: readonly LoggedWrite[]): ReplicatingBatch;
  /**
   * Resolves once the batch's writes are on this region's disk; runs while the batch
   * replicates (the local fsync and the replicas' overlap). Rejects when they cannot be.
   */
  durable(writes: readonly LoggedWrite[]): Promise<void>;
  /** Checked after replication: may this region still acknowledge (primary, lease valid)? */
  mayAcknowledge(): MiniSqlError | undefined | Promise<MiniSqlError | undefined>;
  /**
   * Whether this region is still a primary. One that is not drops its unconfirmed
   * entries: it takes no more writes, and a region that loses the role copies its
   * tables afresh before it serves again.
   */
  isPrimary(): boolean;
  /** Told the size of each batch as it starts (metrics). */
  batchStarted?(writes: number): void;
}

export class WritePipeline {
  private readonly queue: PendingWrite[] = [];
  private inFlight = 0;
  /** Settles when the last batch started is acknowledged, and so every batch before it. */
  private lastBatch: Promise<void> = Promise.resolve();
  /**
   * Pauses running now: batches start only when none is. A count, not a flag: a join's
   * pause and a table hold's can overlap, and the first to end must not start batches
   * while the other still needs the moment (a batch then would reach the old in-sync set
   * only, and the joining replica would be admitted without it).
   */
  private pauses = 0;
  /** Batches executed in SQLite so far: their writes are visible to reads on this region. */
  private executedBatches = 0;
  /** Batches whose replication has finished, well or not (always in order). */
  private settledBatches = 0;
  /** Reads waiting for batches to settle, each with the batch it saw last. */
  private readonly settleWaiters: { sequence: number; resolve: () => void }[] = [];
  /** Logged entries whose replication failed, by `table/position`; shipped again with the next batch. */
  private readonly unconfirmed = new Map<string, LoggedWrite>();
  private resendTimer: NodeJS.Timeout | undefined;
  private startScheduled: NodeJS.Immediate | undefined;

  constructor(private readonly ports: PipelinePorts) {}

  /**
   * Called right after a read ran: resolves once the replication of every batch the read
   * could have seen has finished (well or not; the replicate port records failures). A
   * write is visible here as soon as SQLite ran it, before its replication; answering a
   * read from it before then could show a value that a failover then loses (a dirty
   * read). It waits for the batches already running only, so reads cannot starve.
   * Undefined when there is nothing to wait for: the usual read pays no promise.
   */
  visibleWritesSettled(): Promise<void> | undefined {
    const sequence = this.executedBatches;
    if (this.settledBatches >= sequence) return undefined;
    return new Promise<void>((resolve) => this.settleWaiters.push({ sequence, resolve }));
  }

  /** Entries in this region's files that the in-sync replicas may lack (a replication failed). */
  get unconfirmedEntries(): number {
    return this.unconfirmed.size;
  }

  submit(write: Omit<PendingWrite, 'resolve'>): Promise<ExecuteResponse> {
    return new Promise((resolve) => {
      if (this.queue.length >= QUEUE_WRITES_MAX) {
        resolve({ error: errors.limitExceeded('writes waiting on this region', QUEUE_WRITES_MAX).toProto() });
        return;
      }
      this.queue.push({ resolve, ...write }); // the new field first: wire's DESIGN.md, "A request's objects die young"
      this.startSoon();
    });
  }

  /**
   * Runs `work` with no batch in flight and none starting: writes keep queueing and go
   * in the first batch after it. A replica joining the in-sync set needs this moment.
   */
  async whilePaused<T>(work: () => Promise<T>): Promise<T> {
    this.pauses += 1;
    try {
      while (this.inFlight > 0) await this.lastBatch;
      return await work();
    } finally {
      this.pauses -= 1;
      this.startBatches();
    }
  }

  /**
   * Starts batches once this turn of the event loop is over: the writes read from the
   * sockets in the same turn (the statements of one frame, the frames of one read) go in
   * one batch. Started at once, the first write of a burst took a batch, and a slot, of
   * its own: at 32 clients half the batches held one write, the other half thirty.
   */
  private startSoon(): void {
    this.startScheduled ??= setImmediate(() => {
      this.startScheduled = undefined;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.queue.length > 0 && this.pauses === 0 && this.inFlight < BATCHES_IN_FLIGHT_MAX) {
      this.start(this.queue.splice(0, firstChunkLength(this.queue, pendingWriteBytes, BATCH_BYTES_MAX, BATCH_WRITES_MAX)));
    }
  }

  /** Executes a batch and ships it now; it is acknowledged after the batch before it. */
  private start(batch: PendingWrite[]): void {
    const started = process.hrtime.bigint();
    this.ports.batchStarted?.(batch.length);
    let outcomes: Array<ExecutionOutcome | MiniSqlError>;
    try {
      outcomes = this.ports.executeBatch(batch);
    } catch (thrown) {
      const error = MiniSqlError.from(thrown);
      outcomes = batch.map(() => error);
    }
    const logged = shippedEntries(this.unconfirmed, outcomes);
    const sequence = ++this.executedBatches;
    let replicating: ReplicatingBatch | MiniSqlError;
    try {
      replicating = this.ports.replicate(logged);
    } catch (thrown) {
      replicating = MiniSqlError.from(thrown);
    }
    // Settled to its error (never rejected): it is awaited only after the replication. A
    // port that throws instead of rejecting fails this batch, not the event loop's turn.
    const durable = new Promise<void>((resolve) => resolve(this.ports.durable(logged))).then(
      () => undefined,
      (thrown: unknown) => MiniSqlError.from(thrown),
    );
    this.inFlight += 1;
    const previous = this.lastBatch;
    this.lastBatch = previous.then(() => this.acknowledge(batch, outcomes, logged, { replicating, durable }, sequence, started));
  }

  /** Ships the unconfirmed entries again in a batch of their own, when no write has taken them along. */
  private scheduleResend(): void {
    if (this.resendTimer !== undefined) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      if (!this.ports.isPrimary()) this.unconfirmed.clear();
      if (this.unconfirmed.size === 0) return;
      if (this.pauses > 0 || this.inFlight > 0) {
        // A batch on its way takes them along, or fails and schedules another attempt.
        if (this.inFlight === 0) this.scheduleResend();
        return;
      }
      this.start([]);
    }, RESEND_DELAY_MS);
    this.resendTimer.unref();
  }

  private async acknowledge(
    batch: readonly PendingWrite[],
    outcomes: ReadonlyArray<ExecutionOutcome | MiniSqlError>,
    shipped: readonly LoggedWrite[],
    { replicating, durable }: { replicating: ReplicatingBatch | MiniSqlError; durable: Promise<MiniSqlError | undefined> },
    sequence: number,
    started: bigint,
  ): Promise<void> {
    let failure: MiniSqlError | undefined;
    let replicated = false;
    try {
      if (replicating instanceof MiniSqlError) throw replicating;
      await replicating.settle();
      replicated = true;
      // On the replicas' disks now; on this one too before anything is acknowledged.
      failure = (await durable) ?? (await this.ports.mayAcknowledge());
    } catch (thrown) {
      failure = MiniSqlError.from(thrown);
    }
    for (const entry of shipped) {
      if (replicated) this.unconfirmed.delete(entryKey(entry));
      else this.unconfirmed.set(entryKey(entry), entry);
    }
    if (this.unconfirmed.size > 0) this.scheduleResend();
    this.settle(sequence);
    const micros = Number((process.hrtime.bigint() - started) / 1000n);
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as ExecutionOutcome | MiniSqlError;
      if (outcome instanceof MiniSqlError) write.resolve({ error: outcome.toProto(), server_micros: micros });
      else if (failure) write.resolve({ error: failure.toProto(), server_micros: micros });
      else write.resolve({ result: outcome.result, server_micros: micros, log_position: outcome.write?.record.position ?? 0 });
    });
    this.inFlight -= 1;
    this.startBatches();
  }

  private settle(sequence: number): void {
    this.settledBatches = sequence;
    for (let i = this.settleWaiters.length - 1; i >= 0; i--) {
      const waiter = this.settleWaiters[i]!;
      if (waiter.sequence <= sequence) {
        this.settleWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** About what a write weighs in a replication message: its text and its parameters. */
function pendingWriteBytes(write: PendingWrite): number {
  let bytes = 64 + write.sql.length;
  for (const param of write.params) bytes += valueBytes(param);
  return bytes;
}

function entryKey({ table, record }: LoggedWrite): string {
  return `${table}/${record.position}`;
}

/**
 * What a batch ships: the unconfirmed entries, the entries retries were answered from,
 * and the batch's new writes; each entry once, and the entries of a table in position
 * order (a replica applies a table's entries one after another and refuses a gap).
 */
function shippedEntries(unconfirmed: ReadonlyMap<string, LoggedWrite>, outcomes: ReadonlyArray<ExecutionOutcome | MiniSqlError>): LoggedWrite[] {
  const written: LoggedWrite[] = [];
  let confirms = false;
  for (const outcome of outcomes) {
    if (outcome instanceof MiniSqlError) continue;
    if (outcome.write) written.push(outcome.write);
    if (outcome.confirm) confirms = true;
  }
  // The common case: new writes only, already in position order within each table.
  if (unconfirmed.size === 0 && !confirms) return written;
  const byKey = new Map(unconfirmed);
  for (const outcome of outcomes) {
    if (outcome instanceof MiniSqlError) continue;
    if (outcome.confirm) byKey.set(entryKey(outcome.confirm), outcome.confirm);
    if (outcome.write) byKey.set(entryKey(outcome.write), outcome.write);
  }
  return [...byKey.values()].sort((a, b) => (a.table === b.table ? a.record.position - b.record.position : a.table < b.table ? -1 : 1));
}
