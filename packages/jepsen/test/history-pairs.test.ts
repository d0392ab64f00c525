import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pairHistory } from '@minisql/checker';
import { HistoryBuilder } from './results-fixtures.js';

describe('pairHistory', () => {
  it('pairs each invocation with the next completion of the same process, in invocation order', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'write', 1, 0);
    h.add('invoke', 1, 'read', null, 1);
    h.add('ok', 1, 'read', 1, 3);
    h.add('fail', 0, 'write', 1, 4);
    const pairs = pairHistory(h.ops);
    assert.deepEqual(
      pairs.map((p) => [p.start.index, p.completion?.index, p.outcome, p.latencyNs]),
      [
        [0, 3, 'fail', 4e6],
        [1, 2, 'ok', 2e6],
      ],
    );
  });

  it('leaves an op without completion open until the end of the history, with no latency', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'write', 1, 0);
    h.add('invoke', 1, 'read', null, 1);
    h.add('ok', 1, 'read', 1, 9);
    const open = pairHistory(h.ops)[0];
    assert.equal(open?.outcome, 'open');
    assert.equal(open?.endNs, 9e6);
    assert.equal(open?.latencyNs, undefined);
  });

  it('makes a completion without invocation a pair of its own (Jepsen nemesis info ops)', () => {
    const h = new HistoryBuilder();
    h.add('info', 'nemesis', 'start', null, 5);
    const [pair] = pairHistory(h.ops);
    assert.equal(pair?.start, pair?.completion);
    assert.equal(pair?.outcome, 'info');
    assert.equal(pair?.latencyNs, 0);
  });

  it('keeps an invocation open when its process invokes again before completing it', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'write', 1, 0);
    h.add('invoke', 0, 'write', 2, 1);
    h.add('ok', 0, 'write', 2, 2);
    assert.deepEqual(
      pairHistory(h.ops).map((p) => [p.start.index, p.outcome]),
      [
        [0, 'open'],
        [1, 'ok'],
      ],
    );
  });
});
