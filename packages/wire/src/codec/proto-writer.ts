/**
 * Protocol Buffers encoding for the statement protocol's two messages, written straight
 * from the plain objects both ends hold (execute-codec.ts says why).
 *
 * A message is sized first, then written into one buffer of exactly that size. Sizing
 * walks the message in the order writing will, and records the length of every
 * length-delimited field (each nested message, string and bytes) in `lengths`; writing
 * reads them back in that order. So every string's UTF-8 length is measured once and
 * every nested message's length is known before its bytes, with no second buffer and no
 * copying.
 */

/** An int64 as the generated input types allow it, or a bigint. */
export type Int64Input = number | string | bigint | { low: number; high: number };

/** The two 32-bit halves of an int64, low first, as unsigned numbers. */
interface Halves {
  lo: number;
  hi: number;
}

const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;
/** Strings longer than this are measured and written by Buffer's native code. */
const SHORT_STRING_CHARS = 48;

/** Bytes of `value` as an unsigned varint (0 <= value < 2^32). */
export function varint32Bytes(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** The UTF-8 length of `text`, as Buffer.byteLength counts it (a lone surrogate is 3 bytes). */
export function utf8Bytes(text: string): number {
  const chars = text.length;
  if (chars > SHORT_STRING_CHARS) return Buffer.byteLength(text, 'utf8');
  let bytes = 0;
  for (let i = 0; i < chars; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if ((code & 0xfc00) === 0xd800 && i + 1 < chars && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The halves of an int64 as proto-loader's serializer makes them from the same input
 * (protobufjs's `fromObject`, then `Long.fromValue`): a number is truncated toward zero
 * and clamped to the signed 64-bit range (2^63 and past it give 2^63 - 1, NaN gives 0),
 * negative numbers in two's complement; a decimal string or a bigint is taken mod 2^64.
 */
export function int64Halves(value: Int64Input): Halves {
  if (typeof value === 'number') return numberHalves(value);
  if (typeof value === 'bigint') return bigintHalves(value);
  if (typeof value === 'string') return bigintHalves(BigInt(value));
  return { lo: value.low >>> 0, hi: value.high >>> 0 };
}

function numberHalves(value: number): Halves {
  if (Number.isNaN(value)) return { lo: 0, hi: 0 };
  if (value <= -TWO_63) return { lo: 0, hi: 0x80000000 };
  if (value + 1 >= TWO_63) return { lo: 0xffffffff, hi: 0x7fffffff };
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  let lo = magnitude >>> 0;
  let hi = ((magnitude - lo) / TWO_32) >>> 0;
  if (negative) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    lo += 1;
    if (lo > 0xffffffff) {
      lo = 0;
      hi = (hi + 1) >>> 0;
    }
  }
  return { lo, hi };
}

function bigintHalves(value: bigint): Halves {
  const bits = BigInt.asUintN(64, value);
  return { lo: Number(bits & 0xffffffffn), hi: Number(bits >> 32n) };
}

/** Bytes of an int64 as a varint. */
export function int64Bytes(value: Int64Input): number {
  if (typeof value === 'number' && value >= 0 && value < TWO_32) return varint32Bytes(value >>> 0);
  const { lo, hi } = int64Halves(value);
  if (hi === 0) return varint32Bytes(lo);
  // Bits above the low 32: 4 bytes carry 28 of the low, the fifth 4 more with 3 of hi, then 7 a byte.
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10;
}

/** The sizing pass: lengths of length-delimited fields, in the order the writer meets them. */
export class Sizes {
  readonly lengths: number[] = [];

  /** Records a string's UTF-8 length; returns its field's bytes after the tag. */
  string(text: string): number {
    const bytes = utf8Bytes(text);
    this.lengths.push(bytes);
    return varint32Bytes(bytes) + bytes;
  }

  /** Records the bytes field's length; returns its field's bytes after the tag. */
  bytes(value: Uint8Array): number {
    this.lengths.push(value.length);
    return varint32Bytes(value.length) + value.length;
  }

  /**
   * Sizes a nested message with `measure`, its length recorded where the writer will
   * meet it (before the lengths of the fields inside); returns its field's bytes after the tag.
   */
  nested<T>(measure: (sizes: Sizes, value: T) => number, value: T): number {
    const slot = this.lengths.length;
    this.lengths.push(0);
    const bytes = measure(this, value);
    this.lengths[slot] = bytes;
    return varint32Bytes(bytes) + bytes;
  }
}

/** The writing pass, into a buffer of the size the sizing pass found. */
export class ProtoWriter {
  readonly buffer: Buffer;
  private pos: number;
  private next = 0;

  constructor(
    bytes: number,
    private readonly lengths: readonly number[],
    /** Bytes left before the message for the caller to fill (the statement protocol's length). */
    headroomBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(headroomBytes + bytes);
    this.pos = headroomBytes;
  }

  /** Whether every byte was written: a sizing pass that disagrees with the writing is a bug, not bad input. */
  finish(): Buffer {
    if (this.pos !== this.buffer.length || this.next !== this.lengths.length) {
      throw new Error(`protobuf writer: wrote ${this.pos} of ${this.buffer.length} bytes and ${this.next} of ${this.lengths.length} lengths`);
    }
    return this.buffer;
  }

  /** A tag or any unsigned varint below 2^32. */
  varint32(value: number): void {
    const buffer = this.buffer;
    let rest = value >>> 0;
    while (rest > 0x7f) {
      buffer[this.pos++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[this.pos++] = rest;
  }

  int64(value: Int64Input): void {
    if (typeof value === 'number' && value >= 0 && value < TWO_32) {
      this.varint32(value);
      return;
    }
    const { lo, hi } = int64Halves(value);
    const buffer = this.buffer;
    let low = lo;
    let high = hi;
    while (high > 0) {
      buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.varint32(low);
  }

  /** An int32: a negative one is sign-extended to ten bytes, as protobuf requires. */
  int32(value: number): void {
    if (value >= 0) this.varint32(value);
    else this.int64(value | 0);
  }

  bool(value: boolean): void {
    this.buffer[this.pos++] = value ? 1 : 0;
  }

  double(value: number): void {
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  string(text: string): void {
    const bytes = this.lengths[this.next++]!;
    this.varint32(bytes);
    if (bytes === text.length && bytes <= SHORT_STRING_CHARS) {
      const buffer = this.buffer;
      for (let i = 0; i < bytes; i += 1) buffer[this.pos++] = text.charCodeAt(i);
    } else {
      this.buffer.write(text, this.pos, bytes, 'utf8');
      this.pos += bytes;
    }
  }

  bytes(value: Uint8Array): void {
    this.varint32(this.lengths[this.next++]!);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** A nested message: its tag, its length, then its fields as `write` writes them. */
  nested<T>(tag: number, write: (writer: ProtoWriter, value: T) => void, value: T): void {
    this.varint32(tag);
    this.varint32(this.lengths[this.next++]!);
    write(this, value);
  }
}

/** Bytes of an int32 as protobuf writes it (a negative one takes ten). */
export function int32Bytes(value: number): number {
  return value >= 0 ? varint32Bytes(value) : 10;
}
