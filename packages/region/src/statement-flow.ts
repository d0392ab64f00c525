/**
 * When a statement stream (the gRPC ExecuteStream or a connection of the statement
 * protocol) may have more of its statements read: the region reads the next frame only
 * while fewer than `inFlightMax` of the stream's statements are unanswered and its
 * answers are not waiting for the peer to read them.
 * A client that sends statements and does not read the answers then fills its own
 * buffers and the network's, not the region's memory. Pure: the connection tells it what
 * happened and does what `reading` says.
 */

/** Statements of one stream the region runs or holds answers of before it reads more. */
export const STATEMENTS_IN_FLIGHT_MAX = 256;

/** Statements one frame may hold: the client sends 16 at most (FRAME_LIMITS); more are refused, none run. */
export const STATEMENTS_PER_FRAME_MAX = 256;

export class StatementFlow {
  private inFlight = 0;
  private writeBlocked = false;

  constructor(private readonly inFlightMax = STATEMENTS_IN_FLIGHT_MAX) {}

  /** Whether the next frame may be read now. */
  get reading(): boolean {
    return this.inFlight < this.inFlightMax && !this.writeBlocked;
  }

  /** A frame with `count` statements was read. */
  started(count: number): void {
    this.inFlight += count;
  }

  /** Answers to `count` statements were written; `taken` false: the socket buffers them until it drains. */
  answered(count: number, taken: boolean): void {
    this.inFlight = Math.max(0, this.inFlight - count);
    if (!taken) this.writeBlocked = true;
  }

  /** The socket has written out what it buffered. */
  drained(): void {
    this.writeBlocked = false;
  }
}
