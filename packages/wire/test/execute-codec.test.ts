/**
 * The statement protocol's codec against proto-loader, the codec of the gRPC stream and
 * of every older peer: generated messages must read the same through either decoder,
 * whichever encoder wrote them, down to defaults, oneof names, number conversions and
 * errors on cut-short bytes.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadProtos, seededRandom, type ExecuteFrame, type ExecuteResultFrame, type Value } from '@minisql/common';
import { decodeExecuteFrame, decodeExecuteResultFrame, encodeExecuteFrame, encodeExecuteResultFrame } from '../src/codec/execute-codec.js';

const codec = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;

const TEXTS = ['', 'a', 'select v from kv where id = ?;', 'é', '日本語', '😀 and more', 'x'.repeat(47), 'y'.repeat(49), 'ü'.repeat(70), 'z'.repeat(300)];
/** int64 inputs, numbers and the decimal strings proto-loader takes too. */
const INT64S: Array<number | string> = [
  0,
  1,
  -1,
  127,
  128,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32 - 1,
  2 ** 32,
  2 ** 35,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 60,
  // Past the signed 64-bit range, fractions, NaN and infinities, as SQLite can give them: proto-loader clamps and truncates.
  2 ** 63,
  -(2 ** 63),
  1e19,
  -1e19,
  1e20,
  2 ** 64,
  Infinity,
  -Infinity,
  NaN,
  1.5,
  -1.5,
  4294967296.75,
  '9223372036854775807',
  '-9223372036854775808',
  '1234567890123',
];
const UINT64S: Array<number | string> = [0, 1, 300, 2 ** 32, 2 ** 53 - 1, '18446744073709551615', '9007199254740993'];
const INT32S = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 1000];
const DOUBLES = [0, -0, 1.5, -2.25, 1e300, Number.MIN_VALUE, Infinity, -Infinity, NaN];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)]!;
}

function value(next: () => number): Value {
  switch (Math.floor(next() * 7)) {
    case 0:
      return {};
    case 1:
      return { null: next() < 0.8 };
    case 2:
      return { int: pick(next, INT64S) };
    case 3:
      return { float: pick(next, DOUBLES) };
    case 4:
      return { text: pick(next, TEXTS) };
    case 5:
      return { blob: Buffer.from(pick(next, TEXTS), 'utf8') };
    default:
      return { int: Math.floor(next() * 100000) };
  }
}

function list<T>(next: () => number, most: number, make: () => T): T[] {
  return Array.from({ length: Math.floor(next() * (most + 1)) }, make);
}

function executeFrame(next: () => number): ExecuteFrame {
  const frame: ExecuteFrame = {
    requests: list(next, 3, () => ({
      sql: pick(next, TEXTS),
      params: list(next, 4, () => value(next)),
      request_id: pick(next, ['', 'c1-000042']),
      group_id: pick(next, ['', 'g1']),
      epoch: pick(next, UINT64S),
      consistency: pick(next, ['READ_CONSISTENCY_PRIMARY', 'READ_CONSISTENCY_REPLICA', 0, 1] as const),
      sequence: pick(next, [0, 1, 127, 128, 2 ** 32 - 1]),
      timeout_ms: pick(next, [0, 60_000]),
    })),
    cancel: list(next, 3, () => pick(next, [1, 300, 2 ** 32 - 1])),
  };
  if (next() < 0.3) frame.login = next() < 0.5 ? {} : { user: pick(next, TEXTS), password: pick(next, TEXTS) };
  return frame;
}

function resultFrame(next: () => number): ExecuteResultFrame {
  return {
    responses: list(next, 3, () => {
      const scalars = {
        log_position: pick(next, UINT64S),
        epoch: pick(next, UINT64S),
        server_micros: pick(next, UINT64S),
        stale: next() < 0.5,
        sequence: pick(next, [0, 5, 2 ** 32 - 1]),
      };
      const outcome = next();
      if (outcome < 0.45) {
        const columns = list(next, 3, () => ({ name: pick(next, TEXTS), type: pick(next, ['', 'int', 'char(8)']) }));
        return {
          ...scalars,
          result: {
            kind: pick(next, ['', 'select', 'insert']),
            columns,
            rows: list(next, 4, () => ({ values: list(next, 3, () => value(next)) })),
            rows_affected: pick(next, UINT64S),
            message: pick(next, TEXTS),
            truncated: next() < 0.3,
          },
        };
      }
      if (outcome < 0.9) {
        return {
          ...scalars,
          error: {
            code: pick(next, ['', 'TABLE_NOT_FOUND']),
            message: pick(next, TEXTS),
            object: pick(next, ['', 'kv']),
            position: pick(next, INT32S),
            line: pick(next, INT32S),
            column: pick(next, INT32S),
            retryable: next() < 0.5,
          },
        };
      }
      return scalars;
    }),
  };
}

/** The same outcome from two decoders: equal messages, or both refusing the bytes. */
function sameReading(ours: () => unknown, theirs: () => unknown, label: string): void {
  let expected: unknown;
  let theyRefused = false;
  try {
    expected = theirs();
  } catch {
    theyRefused = true;
  }
  if (theyRefused) {
    assert.throws(ours, RangeError, `${label}: proto-loader refused these bytes, the codec read them`);
    return;
  }
  assert.deepStrictEqual(ours(), expected, label);
}

const CASES = 400;

describe('the statement codec reads and writes what proto-loader does', () => {
  it('decodes a client frame the same, whichever encoder wrote it', () => {
    for (let seed = 1; seed <= CASES; seed += 1) {
      const message = executeFrame(seededRandom(seed));
      const reference = codec.requestDeserialize(codec.requestSerialize(message));
      assert.deepStrictEqual(decodeExecuteFrame(encodeExecuteFrame(message)), reference, `seed ${seed}: ours to ours`);
      assert.deepStrictEqual(decodeExecuteFrame(codec.requestSerialize(message)), reference, `seed ${seed}: proto-loader to ours`);
      assert.deepStrictEqual(codec.requestDeserialize(encodeExecuteFrame(message)), reference, `seed ${seed}: ours to proto-loader`);
    }
  });

  it('decodes a region frame the same, whichever encoder wrote it', () => {
    for (let seed = 1; seed <= CASES; seed += 1) {
      const message = resultFrame(seededRandom(seed));
      const reference = codec.responseDeserialize(codec.responseSerialize(message));
      assert.deepStrictEqual(decodeExecuteResultFrame(encodeExecuteResultFrame(message)), reference, `seed ${seed}: ours to ours`);
      assert.deepStrictEqual(decodeExecuteResultFrame(codec.responseSerialize(message)), reference, `seed ${seed}: proto-loader to ours`);
      assert.deepStrictEqual(codec.responseDeserialize(encodeExecuteResultFrame(message)), reference, `seed ${seed}: ours to proto-loader`);
    }
  });

  it('reads every cut-short frame as proto-loader does: the same message where the cut falls between fields, a RangeError elsewhere', () => {
    let refused = 0;
    for (let seed = 1; seed <= 40; seed += 1) {
      const request = codec.requestSerialize(executeFrame(seededRandom(seed)));
      const result = codec.responseSerialize(resultFrame(seededRandom(seed)));
      for (let cut = 0; cut < request.length; cut += 1) {
        const bytes = request.subarray(0, cut);
        sameReading(
          () => decodeExecuteFrame(bytes),
          () => codec.requestDeserialize(bytes),
          `seed ${seed}, request cut at ${cut}`,
        );
      }
      for (let cut = 0; cut < result.length; cut += 1) {
        const bytes = result.subarray(0, cut);
        try {
          decodeExecuteResultFrame(bytes);
        } catch {
          refused += 1;
        }
        sameReading(
          () => decodeExecuteResultFrame(bytes),
          () => codec.responseDeserialize(bytes),
          `seed ${seed}, result cut at ${cut}`,
        );
      }
    }
    assert.ok(refused > 100, `cuts inside a field were refused (${refused})`);
  });

  it('skips fields it does not know, of every wire type, as a newer peer may send them', () => {
    const known = codec.requestSerialize({ requests: [{ sql: 'select 1;', sequence: 3, params: [{ int: -5 }] }], cancel: [9] });
    const unknown = Buffer.from([
      // field 9, varint (a ten-byte one)
      0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
      // field 10, fixed64
      0x51, 1, 2, 3, 4, 5, 6, 7, 8,
      // field 11, length-delimited
      0x5a, 0x03, 0x61, 0x62, 0x63,
      // field 12, a group holding a varint field, then its end
      0x63, 0x08, 0x01, 0x64,
      // field 13, fixed32
      0x6d, 1, 2, 3, 4,
    ]);
    const bytes = Buffer.concat([unknown, known, unknown]);
    assert.deepStrictEqual(decodeExecuteFrame(bytes), codec.requestDeserialize(known));
    assert.deepStrictEqual(decodeExecuteFrame(bytes).requests[0]!.params, [{ int: -5, kind: 'int' }]);
  });

  it('refuses a nested message whose last field runs past the length the message declared', () => {
    // A request declared 3 bytes long whose sql field is 7: the field reads into what follows.
    const overrun = Buffer.from([0x0a, 0x03, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    assert.throws(() => decodeExecuteFrame(overrun), RangeError);
    assert.throws(() => decodeExecuteResultFrame(Buffer.from([0x0a, 0x02, 0x3a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])), RangeError);
  });

  it('refuses unknown groups nested past 100, before any stack runs out, and skips those within it', () => {
    const nestedGroups = (depth: number): Buffer => Buffer.concat([Buffer.alloc(depth, 0x63), Buffer.alloc(depth, 0x64)]);
    assert.throws(() => decodeExecuteFrame(nestedGroups(200_000)), /groups nested past 100/);
    assert.deepStrictEqual(decodeExecuteFrame(nestedGroups(100)), { requests: [], cancel: [], login: null });
  });

  it('reads cancelled sequences packed, as proto3 writes them, and one by one, as older writers may', () => {
    const unpacked = Buffer.from([0x10, 0x07, 0x10, 0xac, 0x02]);
    assert.deepStrictEqual(decodeExecuteFrame(unpacked).cancel, [7, 300]);
    assert.deepStrictEqual(decodeExecuteFrame(codec.requestSerialize({ cancel: [7, 300] })).cancel, [7, 300]);
  });

  it('writes a frame after the headroom asked for, the message bytes unchanged', () => {
    const message = resultFrame(seededRandom(7));
    const plain = encodeExecuteResultFrame(message);
    const roomy = encodeExecuteResultFrame(message, 4);
    assert.equal(roomy.length, plain.length + 4);
    assert.deepEqual(roomy.subarray(4), plain);
  });

  it('writes a lone surrogate as U+FFFD, valid UTF-8 as Buffer writes it, where protobufjs writes three bytes no decoder takes back', () => {
    const decoded = decodeExecuteFrame(encodeExecuteFrame({ requests: [{ sql: 'a\ud800b' }] }));
    assert.equal(decoded.requests[0]!.sql, 'a\ufffdb');
    assert.equal(codec.requestDeserialize(encodeExecuteFrame({ requests: [{ sql: 'a\udc00' }] })).requests[0]!.sql, 'a\ufffd');
  });

  it('keeps an explicit zero, empty text and false inside a value: a set member of the oneof is not a default', () => {
    const values: Value[] = [{ int: 0 }, { text: '' }, { null: false }, { float: 0 }, { blob: Buffer.alloc(0) }];
    const decoded = decodeExecuteResultFrame(encodeExecuteResultFrame({ responses: [{ result: { rows: [{ values }] } }] }));
    assert.deepStrictEqual(decoded.responses[0]!.result!.rows[0]!.values, [
      { int: 0, kind: 'int' },
      { text: '', kind: 'text' },
      { null: false, kind: 'null' },
      { float: 0, kind: 'float' },
      { blob: Buffer.alloc(0), kind: 'blob' },
    ]);
  });
});
