/**
 * A request's objects die young. A client keeps 32 or more statements in flight; each
 * statement's objects (its request, its promise, its decoded answer) should be garbage
 * by the next young-generation collection, which then copies almost nothing. Measured
 * before this was kept: 2-5 MB copied at each collection of a client at 40,000
 * statements a second, a tenth of its time spent copying them, and 400 bytes a statement
 * promoted to the old generation.
 *
 * The stream runs in a child Node process with V8's `--trace-gc-nvp`, which reports the
 * bytes that survived each young-generation collection (`new_space_survived`).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const STREAM_MODULE = fileURLToPath(new URL('../src/sequenced-stream.js', import.meta.url));
/**
 * A client's stream lives long, so its own objects (its table of requests waiting) are in
 * the old generation: two full collections after a warm-up put them there. A young
 * object referenced only from a dead old one still survives a young-generation
 * collection, so what the stream leaves in its old objects matters.
 */
const WARMUP_REQUESTS = 20_000;
const MEASURED = 'measured from here';
const REQUESTS = 60_000;
const CONCURRENCY = 32;
/** Survivors of one collection: what 32 statements in flight hold is tens of KB. */
const SURVIVED_BYTES_MAX = 256 * 1024;

/**
 * The child: a framed SequencedStream over a call that answers each frame in the next
 * turn with one row per request, as a region's point selects are answered.
 */
const CHILD = `
import { SequencedStream } from ${JSON.stringify(STREAM_MODULE)};
const open = () => {
  const listeners = {};
  return {
    on: (event, listener) => { listeners[event] = listener; },
    write: (frame) => setImmediate(() => listeners.data(frame.map((r) => ({ sequence: r.sequence, result: { columns: [{ name: 'k' }, { name: 'v' }], rows: [{ values: [r.key, 'v'.repeat(32)] }] } })))),
    cancel: () => {},
  };
};
const framing = { pack: (requests) => requests, unpack: (frame) => frame, bytesOf: () => 64 };
const stream = new SequencedStream({ address: 'fake', open, framing, timeoutBreaksStream: false });
let left = ${WARMUP_REQUESTS};
const worker = async () => { while (left-- > 0) await stream.request({ sql: 'select * from kv where k = ?;', key: left }, 30000); };
await Promise.all(Array.from({ length: ${CONCURRENCY} }, worker));
gc();
gc();
console.log(${JSON.stringify(MEASURED)});
left = ${REQUESTS};
await Promise.all(Array.from({ length: ${CONCURRENCY} }, worker));
`;

describe('garbage of a stream of requests', () => {
  it(`at ${CONCURRENCY} requests in flight, a young-generation collection keeps what those hold, not the requests already answered`, () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--input-type=module', '-e', CHILD], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, `the child failed: ${child.stderr}`);
    const lines = child.stdout.split('\n');
    const survived = lines
      .slice(lines.indexOf(MEASURED))
      .filter((line) => / gc=s /.test(line))
      .map((line) => Number(/ new_space_survived=(\d+)/.exec(line)?.[1]))
      .sort((a, b) => a - b);
    assert.ok(survived.length >= 5, `only ${survived.length} young-generation collections in ${REQUESTS} requests`);
    const median = survived[Math.floor(survived.length / 2)] as number;
    assert.ok(
      median <= SURVIVED_BYTES_MAX,
      `a young-generation collection kept ${median} bytes (median of ${survived.length}), more than ${SURVIVED_BYTES_MAX}`,
    );
  });
});
