import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FrameBatcher } from '../src/frame-batcher.js';

function batcher(limits = { itemsMax: 4, bytesMax: 100 }) {
  const frames: string[][] = [];
  const frame = new FrameBatcher<string>(
    (items) => frames.push(items),
    (item) => item.length,
    limits,
  );
  return { frame, frames };
}

describe('frames of one event-loop turn', () => {
  it('every message pushed in one turn, microtasks included, goes out in one frame after the turn', async () => {
    const { frame, frames } = batcher();
    frame.push('a');
    await Promise.resolve();
    frame.push('b');
    queueMicrotask(() => frame.push('c'));
    assert.deepEqual(frames, [], 'a frame went out before the turn ended');
    await nextTurn();
    assert.deepEqual(frames, [['a', 'b', 'c']]);
  });

  it('messages of the next turn go in the next frame', async () => {
    const { frame, frames } = batcher();
    frame.push('a');
    await nextTurn();
    frame.push('b');
    await nextTurn();
    assert.deepEqual(frames, [['a'], ['b']]);
  });

  it('a frame goes out at once when it reaches its message count', () => {
    const { frame, frames } = batcher({ itemsMax: 2, bytesMax: 100 });
    for (const item of ['a', 'b', 'c']) frame.push(item);
    assert.deepEqual(frames, [['a', 'b']]);
  });

  it('a message that would take a frame past its byte bound starts the next frame; one larger than the bound goes alone', () => {
    const { frame, frames } = batcher({ itemsMax: 10, bytesMax: 10 });
    frame.push('aaaa');
    frame.push('bbbb');
    frame.push('cccc'); // 12 bytes with the two before: a new frame
    frame.push('x'.repeat(30)); // larger than the bound alone
    assert.deepEqual(frames, [['aaaa', 'bbbb'], ['cccc'], ['x'.repeat(30)]]);
  });

  it('a message pushed to go now goes at once with those pending, and leaves no flush scheduled for the turn', async () => {
    const { frame, frames } = batcher();
    frame.push('a');
    frame.push('b', true);
    assert.deepEqual(frames, [['a', 'b']]);
    const immediates = process.getActiveResourcesInfo().filter((kind) => kind === 'Immediate').length;
    frame.push('c', true);
    assert.deepEqual(frames, [['a', 'b'], ['c']]);
    assert.equal(process.getActiveResourcesInfo().filter((kind) => kind === 'Immediate').length, immediates, 'an immediate was left set');
    await nextTurn();
    assert.deepEqual(frames, [['a', 'b'], ['c']]);
  });

  it('flush sends what is pending now and the scheduled flush then sends nothing twice', async () => {
    const { frame, frames } = batcher();
    frame.push('a');
    frame.flush();
    assert.deepEqual(frames, [['a']]);
    await nextTurn();
    assert.deepEqual(frames, [['a']]);
  });

  it('discard drops what is pending and returns it', async () => {
    const { frame, frames } = batcher();
    frame.push('a');
    assert.deepEqual(frame.discard(), ['a']);
    await nextTurn();
    assert.deepEqual(frames, []);
  });
});
