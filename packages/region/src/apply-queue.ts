/**
 * The replica's side of a primary's Apply stream: batches are applied one after another
 * in the order they came and answered in that order, each answer naming its batch and
 * sent only once the batch is on disk. A batch is applied while the batches before it
 * are still being synced: waiting for each sync before applying the next made the
 * replica's syncs add up, one whole fsync per batch on the primary's critical path,
 * where now one sync covers every batch applied while the one before ran (wal-sync.ts).
 */
export interface ApplyPorts<Batch, Written> {
  /** Applies a batch (committed, not yet synced): what it wrote. Throws why it could not. */
  apply(batch: Batch): Written | Promise<Written>;
  /** Resolves once what a batch wrote is on disk; rejects when it cannot be. */
  durable(written: Written): Promise<void>;
  /** The batch's answer, given in batch order. */
  answer(batch: Batch, outcome: BatchOutcome): void;
}

/** A batch applied and on disk, or why not. */
export type BatchOutcome = { applied: true } | { applied: false; failure: unknown };

export class ApplyQueue<Batch, Written> {
  /** Settles when the last batch pushed has been applied (or failed to be). */
  private applied: Promise<unknown> = Promise.resolve();
  /** Settles when the last batch pushed has been answered. */
  private answered: Promise<unknown> = Promise.resolve();

  constructor(private readonly ports: ApplyPorts<Batch, Written>) {}

  push(batch: Batch): void {
    const applying = this.applied.then(() => this.ports.apply(batch));
    this.applied = applying.catch(() => undefined);
    const outcome = applying
      .then((written) => this.ports.durable(written))
      .then(
        (): BatchOutcome => ({ applied: true }),
        (failure: unknown): BatchOutcome => ({ applied: false, failure }),
      );
    // An answer that cannot be given (the stream is gone) must not stop the ones after it.
    this.answered = Promise.all([outcome, this.answered]).then(([done]) => {
      try {
        this.ports.answer(batch, done);
      } catch {
        // The primary sees the stream break and opens another.
      }
    });
  }

  /** Resolves once every batch pushed so far is answered. */
  drained(): Promise<void> {
    return this.answered.then(() => undefined);
  }
}
