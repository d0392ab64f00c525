import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { StatementFlow } from '../src/statement-flow.js';

describe('when a statement connection may have more of its frames read', () => {
  it('reads while fewer statements than the bound are unanswered, and again once answers bring them under it', () => {
    const flow = new StatementFlow(4);
    assert.equal(flow.reading, true);
    flow.started(3);
    assert.equal(flow.reading, true, '3 of 4 in flight');
    flow.started(2);
    assert.equal(flow.reading, false, '5 in flight: a frame may pass the bound, the next waits');
    flow.answered(1, true);
    assert.equal(flow.reading, false, '4 in flight');
    flow.answered(1, true);
    assert.equal(flow.reading, true, '3 in flight');
  });

  it('stops reading when the socket does not take an answer, and reads again once it has drained', () => {
    const flow = new StatementFlow(4);
    flow.started(2);
    flow.answered(2, false);
    assert.equal(flow.reading, false, 'nothing in flight, but the peer is not reading its answers');
    flow.drained();
    assert.equal(flow.reading, true);
  });

  it('waits for both: a drain with too many in flight still waits, and so do answers while undrained', () => {
    const flow = new StatementFlow(2);
    flow.started(3);
    flow.answered(1, false);
    flow.drained();
    assert.equal(flow.reading, false, '2 in flight');
    flow.answered(1, false);
    assert.equal(flow.reading, false, '1 in flight, the socket full');
    flow.drained();
    assert.equal(flow.reading, true);
  });

  it('counts answers to statements it never saw start (a cancel) as nothing below zero', () => {
    const flow = new StatementFlow(1);
    flow.answered(3, true);
    flow.started(1);
    assert.equal(flow.reading, false, 'one in flight, the bound is one');
  });
});
