import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from '../src/lru-cache.js';

const valuesOldestFirst = (cache: LruCache<string, number>): number[] => [...cache.values()];

describe('LruCache', () => {
  it('evicts the least recently used entry, a get counting as a use', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.set('d', 4), 2, 'b was the least recently used');
    assert.deepEqual(valuesOldestFirst(cache), [3, 1, 4]);
  });

  it('keeps the order when the newest entry is read again and again', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    for (let i = 0; i < 5; i += 1) assert.equal(cache.get('b'), 2);
    cache.set('c', 3);
    assert.equal(cache.get('c'), 3);
    assert.equal(cache.set('d', 4), 1, 'a stayed the oldest');
    assert.deepEqual(valuesOldestFirst(cache), [2, 3, 4]);
  });

  it('moves an older entry to the newest place on a get after the newest was read', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('b');
    cache.get('a');
    assert.equal(cache.set('c', 3), 2, 'b is now the oldest');
    assert.equal(cache.get('b'), undefined);
  });

  it('forgets the newest key when the cache is emptied, so a key set again is placed anew', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    assert.equal(cache.removeOldest(), 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.clear();
    cache.set('x', 4);
    cache.set('a', 5);
    cache.get('x');
    assert.equal(cache.set('y', 6), 5, 'a, set after x and not read since, is the oldest');
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new LruCache(0), /positive integer/);
    assert.throws(() => new LruCache(1.5), /positive integer/);
  });
});
