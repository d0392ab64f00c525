/**
 * Gathers the messages one side of a stream has ready in one turn of the event loop and
 * sends them as one frame. A gRPC message costs about the same (an HTTP/2 DATA frame, a
 * serialisation call, stream bookkeeping on both ends) whether it carries one statement
 * or fifty, so under load a frame of many pays that cost once.
 *
 * The flush runs in setImmediate: after every callback and microtask of this turn, so
 * every statement a burst of answers released is in the frame, and no later than the
 * next turn, so a lone statement waits a few microseconds at most. A frame is also sent
 * at once when it reaches `itemsMax` messages or `bytesMax` estimated bytes, so frames
 * stay far below the receiver's message limit whatever the burst.
 */
export interface FrameLimits {
  itemsMax: number;
  bytesMax: number;
}

/** Bounds of one frame: small enough for any receiver, large enough to amortise the message cost. */
export const FRAME_LIMITS: FrameLimits = { itemsMax: 16, bytesMax: 1024 * 1024 };

export class FrameBatcher<T> {
  private pending: T[] = [];
  private pendingBytes = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    /** Sends a frame; `bytes` is the sum of its items' estimates. */
    private readonly send: (items: T[], bytes: number) => void,
    private readonly bytesOf: (item: T) => number,
    private readonly limits: FrameLimits = FRAME_LIMITS,
  ) {}

  /**
   * Adds a message to the frame. `flushNow`: the caller knows nothing else can join it
   * this turn (a lone request, the last answer), so it goes at once, without the
   * immediate a turn's end costs to set and clear.
   */
  push(item: T, flushNow = false): void {
    const bytes = this.bytesOf(item);
    // A message that would take the frame past its byte bound starts a new frame.
    if (this.pending.length > 0 && this.pendingBytes + bytes > this.limits.bytesMax) this.flush();
    this.pending.push(item);
    this.pendingBytes += bytes;
    if (flushNow || this.pending.length >= this.limits.itemsMax || this.pendingBytes >= this.limits.bytesMax) this.flush();
    else this.scheduled ??= setImmediate(this.flush);
  }

  /** Sends what is pending now (before the stream ends, say). */
  readonly flush = (): void => {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.pending.length === 0) return;
    const items = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.send(items, bytes);
  };

  /** Drops what is pending (the stream is gone). */
  discard(): T[] {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const items = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return items;
  }
}
