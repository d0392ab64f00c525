import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nemesisWindows } from '../src/nemesis/nemesis-windows.js';
import { HistoryBuilder } from './results-fixtures.js';

describe('nemesisWindows', () => {
  it('spans from the fault invocation to the heal completion, labelled with what was done', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 'nemesis', 'start-partition', null, 10);
    h.add('invoke', 0, 'read', null, 11);
    h.add('info', 'nemesis', 'start-partition', [['n1'], ['n2', 'n3']], 12);
    h.add('ok', 0, 'read', 1, 13);
    h.add('invoke', 'nemesis', 'stop-partition', null, 20);
    h.add('info', 'nemesis', 'stop-partition', 'fully connected', 21);
    assert.deepEqual(nemesisWindows(h.ops), [{ startNs: 10e6, stopNs: 21e6, label: 'partition [[n1] [n2 n3]]' }]);
  });

  it('pairs kill with start and pause with resume, and leaves an unhealed fault open to the end', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 'nemesis', 'kill', null, 1);
    h.add('info', 'nemesis', 'kill', 'n2', 2);
    h.add('invoke', 'nemesis', 'pause', null, 3);
    h.add('info', 'nemesis', 'pause', 'n3', 4);
    h.add('invoke', 'nemesis', 'start', null, 5);
    h.add('info', 'nemesis', 'start', 'n2', 6);
    h.add('invoke', 0, 'read', null, 30);
    assert.deepEqual(nemesisWindows(h.ops), [
      { startNs: 1e6, stopNs: 6e6, label: 'kill n2' },
      { startNs: 3e6, stopNs: 30e6, label: 'pause n3' },
    ]);
  });

  it('pairs kill-master with start-master and pause-etcd with resume-etcd, apart from the plain kill', () => {
    const h = new HistoryBuilder();
    h.add('invoke', 'nemesis', 'kill-master', null, 1);
    h.add('info', 'nemesis', 'kill-master', ['n1'], 2);
    h.add('invoke', 'nemesis', 'pause-etcd', null, 3);
    h.add('info', 'nemesis', 'pause-etcd', ['n4'], 4);
    h.add('invoke', 'nemesis', 'start-master', null, 5);
    h.add('info', 'nemesis', 'start-master', ['n1'], 6);
    h.add('invoke', 'nemesis', 'resume-etcd', null, 7);
    h.add('info', 'nemesis', 'resume-etcd', ['n4'], 8);
    assert.deepEqual(nemesisWindows(h.ops), [
      { startNs: 1e6, stopNs: 6e6, label: 'kill-master [n1]' },
      { startNs: 3e6, stopNs: 8e6, label: 'pause-etcd [n4]' },
    ]);
  });

  it("reads Jepsen's plain start/stop info pairs as one fault", () => {
    const h = new HistoryBuilder();
    h.add('info', 'nemesis', 'start', null, 1);
    h.add('info', 'nemesis', 'start', 'partitioned', 2);
    h.add('info', 'nemesis', 'stop', null, 3);
    h.add('info', 'nemesis', 'stop', 'healed', 4);
    assert.deepEqual(nemesisWindows(h.ops), [{ startNs: 1e6, stopNs: 4e6, label: 'nemesis partitioned' }]);
  });
});
