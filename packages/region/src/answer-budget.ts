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

/**
 * The stream to cut once the total is past `bytesMax`: the one with the most bytes that
 * have waited, not counting the frame `newest` just handed over (no client could have read
 * it yet: a client that reads would otherwise be cut for its own large answer). None when
 * nothing has waited. Pure.
 */
export function streamToCut<K>(waiting: Iterable<[K, number]>, total: number, bytesMax: number, newest?: { stream: K; bytes: number }): K | undefined {
  if (total <= bytesMax) return undefined;
  let chosen: K | undefined;
  let most = 0;
  for (const [stream, bytes] of waiting) {
    const waited = stream === newest?.stream ? bytes - newest.bytes : bytes;
    if (waited > most) {
      chosen = stream;
      most = waited;
    }
  }
  return chosen;
}

interface Stream {
  bytes: number;
  /** Closes the stream's connection, told how many bytes it had waiting; false when it could not be found. */
  cut: (bytesWaiting: number) => boolean;
  /** False once a cut could not find its connection: it keeps counting, and is not chosen again. */
  cuttable: boolean;
}

export class AnswerBudget {
  private readonly streams = new Map<object, Stream>();
  private total = 0;
  /** How a gRPC stream's connection is closed, by its peer (`host:port`); set once the port listens. */
  cutPeer: ((peer: string) => boolean) | undefined;

  constructor(readonly bytesMax = ANSWER_BYTES_WAITING_MAX_DEFAULT) {}

  /** A stream opens: `cut` closes its connection, or says it could not. */
  open(stream: object, cut: (bytesWaiting: number) => boolean): void {
    this.streams.set(stream, { bytes: 0, cut, cuttable: true });
  }

  /** `bytes` of answers were handed to `stream`'s transport; past the budget, cuts the stream that has had the most waiting. */
  add(stream: object, bytes: number): void {
    const entry = this.streams.get(stream);
    if (entry === undefined) return; // closed, or cut
    entry.bytes += bytes;
    this.total += bytes;
    if (this.total <= this.bytesMax) return; // the usual case, without walking the streams
    const victim = streamToCut(this.cuttableStreams(), this.total, this.bytesMax, { stream, bytes });
    const chosen = victim === undefined ? undefined : this.streams.get(victim);
    if (victim === undefined || chosen === undefined) return;
    if (!chosen.cut(chosen.bytes)) {
      chosen.cuttable = false;
      return;
    }
    // Its answers go with its connection: they no longer count, so one excess cuts one stream.
    this.close(victim);
  }

  /** The kernel took `bytes` of `stream`'s answers. */
  take(stream: object, bytes: number): void {
    const entry = this.streams.get(stream);
    if (entry === undefined) return;
    entry.bytes -= bytes;
    this.total -= bytes;
  }

  /** The stream has ended: what it had waiting is gone with it. */
  close(stream: object): void {
    this.total -= this.streams.get(stream)?.bytes ?? 0;
    this.streams.delete(stream);
  }

  /** Bytes of answers waiting for their clients now, in all streams. */
  get bytesWaiting(): number {
    return this.total;
  }

  private *cuttableStreams(): Generator<[object, number]> {
    for (const [stream, entry] of this.streams) if (entry.cuttable) yield [stream, entry.bytes];
  }
}
