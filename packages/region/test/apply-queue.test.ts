/**
 * The replica's Apply queue as scenarios: batches are applied one after another in the
 * order they came, each is synced while the next is applied, and the answers go back in
 * batch order, each once its own batch is on disk.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ApplyQueue, type BatchOutcome } from '../src/apply-queue.js';

interface Gate {
  release: () => void;
  fail: (error: Error) => void;
}

/** A queue whose applies and syncs finish only when the test says so; what happened, in order. */
function manualQueue(options: { applyFails?: Set<string> } = {}) {
  const events: string[] = [];
  const applies = new Map<string, Gate>();
  const syncs = new Map<string, Gate>();
  const answers: Array<{ batch: string; outcome: BatchOutcome }> = [];
  const gate = (gates: Map<string, Gate>, batch: string): Promise<void> => new Promise((release, fail) => gates.set(batch, { release: () => release(), fail }));
  const queue = new ApplyQueue<string, string>({
    apply: async (batch) => {
      events.push(`apply ${batch}`);
      await gate(applies, batch);
      if (options.applyFails?.has(batch)) throw new Error(`${batch} leaves a gap`);
      return batch;
    },
    durable: (written) => {
      events.push(`sync ${written}`);
      return gate(syncs, written);
    },
    answer: (batch, outcome) => {
      events.push(`answer ${batch}`);
      answers.push({ batch, outcome });
    },
  });
  return { queue, events, applies, syncs, answers };
}

async function turns(count = 10): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Each answer's batch and whether it was applied. */
const verdicts = (answers: ReadonlyArray<{ batch: string; outcome: BatchOutcome }>): Array<[string, boolean]> =>
  answers.map((answer) => [answer.batch, answer.outcome.applied]);

/** Pushes the batches and lets each apply finish in turn; their syncs are left running. */
async function pushAndApply(queue: ApplyQueue<string, string>, applies: Map<string, Gate>, batches: string[]): Promise<void> {
  for (const batch of batches) queue.push(batch);
  for (const batch of batches) {
    await turns();
    applies.get(batch)!.release();
  }
  await turns();
}

describe('the replica applying a primary batches', () => {
  it('applies the next batch while the one before it is still syncing', async () => {
    const { queue, events, applies } = manualQueue();
    queue.push('b1');
    queue.push('b2');
    await turns();
    applies.get('b1')!.release();
    await turns();
    assert.deepEqual(events, ['apply b1', 'sync b1', 'apply b2'], 'b2 waited for the sync of b1');
  });

  it('applies one batch at a time, in the order they came', async () => {
    const { queue, events, applies } = manualQueue();
    queue.push('b1');
    queue.push('b2');
    queue.push('b3');
    await turns();
    assert.deepEqual(events, ['apply b1'], 'a batch was applied while the one before it was still being applied');
    applies.get('b1')!.release();
    await turns();
    applies.get('b2')!.release();
    await turns();
    assert.deepEqual(
      events.filter((event) => event.startsWith('apply')),
      ['apply b1', 'apply b2', 'apply b3'],
    );
  });

  it('answers in batch order, each only once its own batch is on disk, even when a later one is on disk first', async () => {
    const { queue, events, applies, syncs, answers } = manualQueue();
    await pushAndApply(queue, applies, ['b1', 'b2']);
    syncs.get('b2')!.release();
    await turns();
    assert.equal(answers.length, 0, 'b2 was answered before b1, which came first, was on disk');
    syncs.get('b1')!.release();
    await queue.drained();
    assert.deepEqual(verdicts(answers), [
      ['b1', true],
      ['b2', true],
    ]);
    assert.ok(events.indexOf('answer b1') > events.indexOf('sync b1'));
  });

  it('a batch that cannot be applied is answered with why, and the batch after it is still applied and answered', async () => {
    const { queue, applies, syncs, answers } = manualQueue({ applyFails: new Set(['b1']) });
    await pushAndApply(queue, applies, ['b1', 'b2']);
    assert.equal(syncs.has('b1'), false, 'a batch that was not applied was synced');
    syncs.get('b2')!.release();
    await queue.drained();
    assert.equal(answers[0]!.batch, 'b1');
    assert.equal(answers[0]!.outcome.applied, false);
    assert.match(String((answers[0]!.outcome as { failure: Error }).failure.message), /b1 leaves a gap/);
    assert.deepEqual(answers[1], { batch: 'b2', outcome: { applied: true } });
  });

  it('a batch whose sync fails is answered with that failure; the next batch is judged by its own sync', async () => {
    const { queue, applies, syncs, answers } = manualQueue();
    await pushAndApply(queue, applies, ['b1', 'b2']);
    syncs.get('b1')!.fail(new Error('EIO'));
    syncs.get('b2')!.release();
    await queue.drained();
    assert.deepEqual(verdicts(answers), [
      ['b1', false],
      ['b2', true],
    ]);
  });

  it('an answer that cannot be given (the stream is gone) does not stop the answers after it', async () => {
    const answered: string[] = [];
    const queue = new ApplyQueue<string, string>({
      apply: (batch) => batch,
      durable: () => Promise.resolve(),
      answer: (batch) => {
        if (batch === 'b1') throw new Error('write after end');
        answered.push(batch);
      },
    });
    queue.push('b1');
    queue.push('b2');
    await queue.drained();
    assert.deepEqual(answered, ['b2']);
  });
});
