/**
 * The framing of the statement protocol: each message is a u32 length (big-endian), then
 * that many bytes of protobuf. Nothing else is on the wire: TLS below it, the messages
 * of the gRPC ExecuteStream above it.
 */

/** The ALPN name of the statement protocol; gRPC asks for `h2` on the same port. */
export const STATEMENT_ALPN = 'minisql-statements/1';

/** Bytes of the length before each frame. */
const LENGTH_BYTES = 4;

/**
 * The bound of a connection's first frame, read before its login is checked. A client
 * sends its login alone in that frame (a user name of at most 64 characters and a password
 * of at most 1,024: a few KiB at most), so a peer not yet logged in holds no more than
 * this much of the region's memory, not a whole statement frame's worth.
 */
export const LOGIN_FRAME_BYTES_MAX = 16 * 1024;

/** `bytes` with its length before it. */
export function frame(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_BYTES + bytes.length);
  out.writeUInt32BE(bytes.length, 0);
  out.set(bytes, LENGTH_BYTES);
  return out;
}

/**
 * A message as a frame without copying it: `encode` leaves room for the length before
 * the message (execute-codec.ts's headroom), and the length is written into it.
 */
export function framed(encode: (headroomBytes: number) => Buffer): Buffer {
  const out = encode(LENGTH_BYTES);
  out.writeUInt32BE(out.length - LENGTH_BYTES, 0);
  return out;
}

/** Bytes of a frame's message, without its length. */
export function messageBytes(framedBytes: Buffer): number {
  return framedBytes.length - LENGTH_BYTES;
}

/**
 * Cuts a byte stream into frames. The chunks of a frame are kept in a list and joined
 * once, when the frame is whole: joining at every chunk copies a 14 MiB frame some two
 * hundred times over, and starves the event loop of everything else (a lease, other
 * connections). A frame announced past `frameBytesMax` is refused before any of it is
 * buffered: a peer's word does not size this process's memory.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private refused = false;
  /** Set: frames are kept, not given out, until release(). */
  private held = false;

  constructor(
    private readonly onFrame: (bytes: Buffer) => void,
    private readonly onTooLarge: (frameBytes: number) => void,
    /** The bound of a gRPC message on the same path (the client's MESSAGE_BYTES_MAX, the region's messageBytesMax). */
    private frameBytesMax: number,
  ) {}

  /** Frames from the next one on are judged against `frameBytesMax` (a region raises it once a login has come). */
  bound(frameBytesMax: number): void {
    this.frameBytesMax = frameBytesMax;
  }

  /** Takes the next chunk read; calls onFrame for each frame it completes, in order. */
  push(chunk: Buffer): void {
    if (this.refused) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.giveOut();
  }

  /**
   * Gives out no more frames until release(), not even from the chunk being read: one
   * chunk can hold a thousand small frames. (Pause the socket too, so no more chunks come.)
   */
  hold(): void {
    this.held = true;
  }

  /** Gives out the frames kept meanwhile, then goes on as before. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.giveOut();
  }

  private giveOut(): void {
    for (;;) {
      if (this.held || this.refused) return;
      if (this.buffered < LENGTH_BYTES) return;
      if (this.chunks[0]!.length < LENGTH_BYTES) this.chunks = [Buffer.concat(this.chunks)];
      const frameBytes = this.chunks[0]!.readUInt32BE(0);
      if (frameBytes > this.frameBytesMax) {
        this.refused = true;
        this.chunks = [];
        this.onTooLarge(frameBytes);
        return;
      }
      if (this.buffered < LENGTH_BYTES + frameBytes) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const rest = all.subarray(LENGTH_BYTES + frameBytes);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(all.subarray(LENGTH_BYTES, LENGTH_BYTES + frameBytes));
    }
  }

  /** Reads nothing more (the connection is being closed). */
  stop(): void {
    this.refused = true;
    this.chunks = [];
  }
}
