import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { withDeadline } from '../src/deadline.js';

describe('withDeadline', () => {
  it('settles as the work does when it finishes in time', async () => {
    assert.equal(await withDeadline(Promise.resolve('done'), 1_000, () => 'late'), 'done');
    await assert.rejects(
      withDeadline(Promise.reject(new Error('broke')), 1_000, () => 'late'),
      /broke/,
    );
  });

  it('after the deadline, answers what late returns, or rejects with what it throws', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const never = new Promise<string>(() => undefined);
    const answered = withDeadline(never, 50, () => 'timed-out');
    const refused = withDeadline(never, 50, () => {
      throw new Error('waited 50 ms');
    });
    t.mock.timers.tick(50);
    assert.equal(await answered, 'timed-out');
    await assert.rejects(refused, /waited 50 ms/);
  });
});
