import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { chunkByBytes, firstChunkLength } from '../src/byte-chunks.js';

const size = (text: string) => text.length;

describe('chunks bounded in count and bytes', () => {
  it('keeps items in order and cuts where the next item would pass the byte bound', () => {
    assert.deepEqual(chunkByBytes(['aaaa', 'bbbb', 'cc', 'dddd'], size, 10, 10), [['aaaa', 'bbbb', 'cc'], ['dddd']]);
  });

  it('cuts at the count bound too', () => {
    assert.deepEqual(chunkByBytes(['a', 'b', 'c'], size, 100, 2), [['a', 'b'], ['c']]);
  });

  it('an item larger than the bound alone is a chunk of its own, never dropped or merged', () => {
    const big = 'x'.repeat(50);
    assert.deepEqual(chunkByBytes(['a', big, 'b'], size, 10, 10), [['a'], [big], ['b']]);
  });

  it('an empty list has no chunk; firstChunkLength agrees with the first chunk', () => {
    assert.deepEqual(chunkByBytes([], size, 10, 10), []);
    for (const items of [
      ['aaaa', 'bbbb', 'cc', 'dddd'],
      ['x'.repeat(50), 'a'],
      ['a', 'b', 'c'],
    ]) {
      assert.equal(firstChunkLength(items, size, 10, 2), chunkByBytes(items, size, 10, 2)[0]?.length);
    }
  });
});
