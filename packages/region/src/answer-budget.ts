/**
 * The region's budget of answers waiting for their clients: bytes of answers handed to a
 * statement stream's transport that the kernel has not taken yet, because the client
 * does not read them. Flow control (statement-flow.ts) stops reading a stream's frames
 * once its answers wait, but the statements it has already read still run: up to 256
 * of them, each answer up to `resultBytesMax`, on every stream. A client that sends many
 * large selects and reads nothing, or many clients together, could hold gigabytes of a
 * region's memory. Past the budget the stream holding the most waiting bytes is cut (its
 * connection closed, its answers dropped), as Redis closes a client past its output
 * buffer limit: a client that reads its answers holds next to nothing here, so it is
 * the one that does not read that goes.
 */

/** Bytes of answers waiting for their clients at most, by default, in all the region's streams. */
export const ANSWER_BYTES_WAITING_MAX_DEFAULT = 512 * 1024 * 1024;

/** The stream to cut: the one with the most bytes waiting, once the total is past `bytesMax`. Pure. */
export function streamToCut<K>(waiting: ReadonlyMap<K, number>, total: number, bytesMax: number): K | undefined {
  if (total <= bytesMax) return undefined;
  let chosen: K | undefined;
  let most = -1;
  for (const [stream, bytes] of waiting) {
    if (bytes > most) {
      chosen = stream;
      most = bytes;
    }
  }
  return chosen;
}

export class AnswerBudget {
  private readonly waiting = new Map<object, number>();
  private readonly cuts = new Map<object, (bytesWaiting: number) => void>();
  private total = 0;
  /** How a stream's connection is closed, by its peer (`host:port`); set once the port listens. */
  cutPeer: ((peer: string) => void) | undefined;

  constructor(readonly bytesMax = ANSWER_BYTES_WAITING_MAX_DEFAULT) {}

  /** A stream opens: `cut` closes its connection, told how many bytes it had waiting. */
  open(stream: object, cut: (bytesWaiting: number) => void): void {
    this.waiting.set(stream, 0);
    this.cuts.set(stream, cut);
  }

  /** `bytes` of answers were handed to `stream`'s transport; cuts the stream holding most if that passes the budget. */
  add(stream: object, bytes: number): void {
    const before = this.waiting.get(stream);
    if (before === undefined) return; // closed, or cut
    this.waiting.set(stream, before + bytes);
    this.total += bytes;
    const victim = streamToCut(this.waiting, this.total, this.bytesMax);
    if (victim === undefined) return;
    const cut = this.cuts.get(victim);
    const held = this.waiting.get(victim) ?? 0;
    // Its answers go with its connection: they no longer count, so one excess cuts one stream.
    this.close(victim);
    cut?.(held);
  }

  /** The kernel took `bytes` of `stream`'s answers. */
  take(stream: object, bytes: number): void {
    const before = this.waiting.get(stream);
    if (before === undefined) return;
    this.waiting.set(stream, before - bytes);
    this.total -= bytes;
  }

  /** The stream has ended: what it had waiting is gone with it. */
  close(stream: object): void {
    this.total -= this.waiting.get(stream) ?? 0;
    this.waiting.delete(stream);
    this.cuts.delete(stream);
  }

  /** Bytes of answers waiting for their clients now, in all streams. */
  get bytesWaiting(): number {
    return this.total;
  }
}
