import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { frame, FrameReader } from '../src/statement-frames.js';

/** A reader that records what it gives out. */
/** A bound far past every frame of these tests. */
const BOUND = 1024 * 1024;

function reader(frameBytesMax = BOUND) {
  const frames: string[] = [];
  const refused: number[] = [];
  const read = new FrameReader(
    (bytes) => frames.push(bytes.toString('utf8')),
    (frameBytes) => refused.push(frameBytes),
    frameBytesMax,
  );
  return { read, frames, refused };
}

const stream = (...messages: string[]): Buffer => Buffer.concat(messages.map((m) => frame(Buffer.from(m, 'utf8'))));

describe('the frames of the statement protocol', () => {
  it('gives back every frame whole and in order, however the bytes are cut into chunks', () => {
    const bytes = stream('first', '', 'the third, longer than a length prefix', 'x');
    for (let cut = 1; cut <= bytes.length; cut += 1) {
      const { read, frames } = reader();
      for (let at = 0; at < bytes.length; at += cut) read.push(bytes.subarray(at, at + cut));
      assert.deepEqual(frames, ['first', '', 'the third, longer than a length prefix', 'x'], `chunks of ${cut} bytes`);
    }
  });

  it('a frame cut so that its length prefix spans two chunks is read once its rest comes', () => {
    const bytes = stream('split');
    const { read, frames } = reader();
    read.push(bytes.subarray(0, 2));
    read.push(bytes.subarray(2, 5));
    assert.deepEqual(frames, []);
    read.push(bytes.subarray(5));
    assert.deepEqual(frames, ['split']);
  });

  it('refuses a frame announced past the bound at its length, before any of its bytes, and reads nothing after', () => {
    const { read, frames, refused } = reader(8);
    const announced = Buffer.alloc(4);
    announced.writeUInt32BE(9, 0);
    read.push(Buffer.concat([stream('ok'), announced]));
    assert.deepEqual(refused, [9]);
    read.push(stream('after'));
    assert.deepEqual(frames, ['ok'], 'a frame after the refused one was read');
  });

  it('takes a frame of exactly the bound', () => {
    const { read, frames, refused } = reader(8);
    read.push(stream('12345678'));
    assert.deepEqual([frames, refused], [['12345678'], []]);
  });

  it('reads no further frame once stopped, even from the chunk it is reading', () => {
    const frames: string[] = [];
    const read: FrameReader = new FrameReader(
      (bytes) => {
        frames.push(bytes.toString('utf8'));
        read.stop();
      },
      () => assert.fail('nothing was too large'),
      BOUND,
    );
    read.push(stream('one', 'two'));
    assert.deepEqual(frames, ['one']);
  });
});

describe('a frame reader held', () => {
  it('gives out no frame while held, not even from the chunk it is reading, and all of them in order once released', () => {
    const frames: string[] = [];
    const read: FrameReader = new FrameReader(
      (bytes) => {
        frames.push(bytes.toString('utf8'));
        if (frames.length === 1) read.hold();
      },
      () => assert.fail('nothing was too large'),
      BOUND,
    );
    read.push(stream('one', 'two'));
    read.push(stream('three'));
    assert.deepEqual(frames, ['one']);
    read.release();
    assert.deepEqual(frames, ['one', 'two', 'three']);
    read.push(stream('four'));
    assert.deepEqual(frames, ['one', 'two', 'three', 'four']);
  });
});
