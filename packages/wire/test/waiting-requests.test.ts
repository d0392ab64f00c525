import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WaitingRequests } from '../src/waiting-requests.js';

const MAX = 0xffff_ffff;
const following = (sequence: number): number => (sequence === MAX ? 1 : sequence + 1);
const request = (sequence: number) => ({ sequence });

/** Adds requests with the sequences from `first`, `count` of them, as a stream gives them out. */
function given(table: WaitingRequests<{ sequence: number }>, first: number, count: number): number[] {
  const sequences: number[] = [];
  for (let i = 0, sequence = first; i < count; i += 1, sequence = following(sequence)) {
    table.add(request(sequence));
    sequences.push(sequence);
  }
  return sequences;
}

describe('requests waiting by sequence', () => {
  it('finds each request by its sequence, and none once it is removed', () => {
    const table = new WaitingRequests<{ sequence: number }>(following);
    given(table, 1, 40);
    assert.equal(table.size, 40);
    assert.equal(table.get(17)?.sequence, 17);
    assert.equal(table.delete(17)?.sequence, 17);
    assert.equal(table.get(17), undefined);
    assert.equal(table.delete(17), undefined, 'a second removal found something');
    assert.equal(table.size, 39);
  });

  it('a request that has waited while thousands after it came and went is still found, oldest, and removed once', () => {
    const table = new WaitingRequests<{ sequence: number }>(following);
    table.add(request(1)); // a long query
    for (let sequence = 2; sequence < 5_000; sequence += 1) {
      table.add(request(sequence));
      assert.equal(table.delete(sequence)?.sequence, sequence);
    }
    // 257, 513, ... took the long query's slot while it waited.
    assert.equal(table.size, 1);
    assert.equal(table.get(1)?.sequence, 1);
    assert.equal(table.oldest()?.sequence, 1);
    assert.deepEqual(
      table.values().map((w) => w.sequence),
      [1],
    );
    assert.equal(table.delete(1)?.sequence, 1);
    assert.equal(table.size, 0);
    assert.equal(table.get(1), undefined);
  });

  it('more requests waiting than it has slots are all kept, and listed oldest first', () => {
    const table = new WaitingRequests<{ sequence: number }>(following);
    const sequences = given(table, 10, 1_000);
    assert.equal(table.size, 1_000);
    assert.deepEqual(
      table.values().map((w) => w.sequence),
      sequences,
    );
    for (const sequence of sequences) assert.equal(table.get(sequence)?.sequence, sequence, `request ${sequence} was lost`);
  });

  it('the oldest is the first given out among those still waiting, across the wrap from the largest sequence to 1', () => {
    const table = new WaitingRequests<{ sequence: number }>(following);
    const sequences = given(table, MAX - 2, 6); // MAX-2, MAX-1, MAX, 1, 2, 3
    assert.deepEqual(sequences, [MAX - 2, MAX - 1, MAX, 1, 2, 3]);
    assert.equal(table.oldest()?.sequence, MAX - 2);
    table.delete(MAX - 2);
    table.delete(MAX);
    assert.equal(table.oldest()?.sequence, MAX - 1);
    table.delete(MAX - 1);
    assert.equal(table.oldest()?.sequence, 1);
    assert.deepEqual(
      table.values().map((w) => w.sequence),
      [1, 2, 3],
    );
  });

  it('empty after clear, and the next request added is the oldest', () => {
    const table = new WaitingRequests<{ sequence: number }>(following);
    given(table, 1, 300);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.oldest(), undefined);
    assert.deepEqual(table.values(), []);
    assert.equal(table.get(5), undefined);
    given(table, 301, 2);
    assert.equal(table.oldest()?.sequence, 301);
  });
});
