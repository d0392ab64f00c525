/**
 * Protocol Buffers decoding for the statement protocol's two messages (execute-codec.ts).
 * Numbers come out as protobufjs gives them with proto-loader's `longs: Number`, so a
 * message reads the same whichever decoder read it. A message cut short, or a length
 * past its end, throws: the caller fails the connection, as it does for any frame it
 * cannot read.
 */

const TWO_32 = 4294967296;
/** Unknown groups nested deeper than this are refused (protobuf's own parsers stop at 100). */
const GROUP_DEPTH_MAX = 100;

/** Wire types (the low three bits of a tag). */
export const WIRE = { varint: 0, fixed64: 1, delimited: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

/** A protobuf message read in place. */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buffer: Buffer,
    start = 0,
    readonly end = buffer.length,
  ) {
    this.pos = start;
  }

  private truncated(): Error {
    return new RangeError(`protobuf message cut short at byte ${this.pos} of ${this.end}`);
  }

  /** A varint's low 32 bits, unsigned (tags, lengths, uint32 and enum fields). */
  uint32(): number {
    const buffer = this.buffer;
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw this.truncated();
      const byte = buffer[this.pos++]!;
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    throw new RangeError(`protobuf varint longer than ten bytes at byte ${this.pos}`);
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** A varint's two halves, as unsigned 32-bit numbers. */
  private halves(): [number, number] {
    const buffer = this.buffer;
    let lo = 0;
    let hi = 0;
    for (let index = 0; index < 10; index += 1) {
      if (this.pos >= this.end) throw this.truncated();
      const byte = buffer[this.pos++]!;
      const bits = byte & 0x7f;
      if (index < 4) lo |= bits << (7 * index);
      else if (index === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * index - 32);
      if (byte < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new RangeError(`protobuf varint longer than ten bytes at byte ${this.pos}`);
  }

  /** An int64 as a number, as protobufjs converts it (exact to 2^53). */
  int64(): number {
    const buffer = this.buffer;
    // One byte, the usual case for small counts, positions and values.
    if (this.pos < this.end && buffer[this.pos]! < 0x80) return buffer[this.pos++]!;
    const [lo, hi] = this.halves();
    if (hi >>> 31 === 0) return lo + hi * TWO_32;
    const negLo = (~lo + 1) >>> 0;
    const negHi = negLo === 0 ? (~hi + 1) >>> 0 : ~hi >>> 0;
    return -(negLo + negHi * TWO_32);
  }

  /** A uint64 as a number (exact to 2^53). */
  uint64(): number {
    const buffer = this.buffer;
    if (this.pos < this.end && buffer[this.pos]! < 0x80) return buffer[this.pos++]!;
    const [lo, hi] = this.halves();
    return lo + hi * TWO_32;
  }

  /** As protobufjs reads one: true when the varint's low 32 bits are not all zero. */
  bool(): boolean {
    return this.uint32() !== 0;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw this.truncated();
    const value = this.buffer.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** The end of a length-delimited field that starts here, checked against the message's end. */
  delimited(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw this.truncated();
    return end;
  }

  string(): string {
    const end = this.delimited();
    const text = this.buffer.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }

  /** A bytes field: a view of the frame's buffer, as protobufjs gives one. */
  bytes(): Buffer {
    const end = this.delimited();
    const view = this.buffer.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  /** Skips a field of `wireType` this reader does not know (a newer peer's), as protobuf requires. */
  skip(wireType: number, groupDepth = 0): void {
    switch (wireType) {
      case WIRE.varint:
        this.halves();
        return;
      case WIRE.fixed64:
        this.advance(8);
        return;
      case WIRE.delimited:
        this.pos = this.delimited();
        return;
      case WIRE.startGroup:
        // Groups nest by recursion here: a peer's word does not choose this process's stack depth.
        if (groupDepth >= GROUP_DEPTH_MAX) throw new RangeError(`protobuf groups nested past ${GROUP_DEPTH_MAX} at byte ${this.pos}`);
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === WIRE.endGroup) return;
          this.skip(tag & 7, groupDepth + 1);
        }
      case WIRE.fixed32:
        this.advance(4);
        return;
      default:
        throw new RangeError(`protobuf wire type ${wireType} at byte ${this.pos} is not one protobuf defines`);
    }
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.end) throw this.truncated();
    this.pos += bytes;
  }
}
