/** The fencing rules during a planned switchover, by scenario: the primary takes nothing new, and lets what it took finish. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type FencingView } from '../src/fencing.js';

const group = { id: 'g1', epoch: 3, primary: 'r1', primaryIncarnation: 'i', inSync: ['r2'], catchingUp: [] };
const handingOver: FencingView = {
  regionId: 'r1',
  role: { kind: 'primary', group },
  leaseValid: true,
  unconfirmedEntries: 0,
  strictReplication: false,
  handingOverTo: 'r2',
};

describe('fencing while handing a group over', () => {
  it('refuses new writes and reads, and the answer of a read that already ran, naming the target', () => {
    for (const action of [{ kind: 'write', clientEpoch: 3 }, { kind: 'read', clientEpoch: 3, replicaRead: false }, { kind: 'answer-read' }] as const) {
      const decision = decide(handingOver, action);
      assert.equal(decision.verdict, 'refuse', action.kind);
      assert.match(decision.verdict === 'refuse' ? decision.error.message : '', /handing group g1 over to r2 \(a planned switchover\)/);
      assert.equal(decision.verdict === 'refuse' && decision.error.code, 'NOT_PRIMARY', 'the client retries through a fresh route');
    }
  });

  it('still acknowledges the batches in flight: their writes are on the target before it leads', () => {
    assert.equal(decide(handingOver, { kind: 'acknowledge' }).verdict, 'allow');
  });

  it('without a handover the same primary serves', () => {
    const { handingOverTo: _, ...serving } = handingOver;
    assert.equal(decide(serving, { kind: 'write', clientEpoch: 3 }).verdict, 'allow');
  });
});
