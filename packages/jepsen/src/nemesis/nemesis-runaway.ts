/**
 * The runaway nemesis: while a window is open, a query that would run for ever goes to
 * a primary with a short deadline (the database adapter's runaway()). A database that
 * runs statements on the thread that keeps its lease, or that retries a timed-out query
 * on another member, fails over or stalls under it; one that stops the statement at its
 * deadline goes on. What came back (and whether the group's epoch moved) is the value of
 * the stop op, in the history.
 */
import { NemesisError } from '../jepsen-errors.js';
import type { Nemesis } from './nemesis.js';
import { nemesisCompletion } from './nemesis-outcome.js';
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export const START_RUNAWAY = 'start-runaway';
export const STOP_RUNAWAY = 'stop-runaway';

/** The deadline each runaway query is given, in milliseconds. */
export const RUNAWAY_DEADLINE_MS = 2_000;

export class RunawayNemesis implements Nemesis {
  readonly fs = [START_RUNAWAY, STOP_RUNAWAY] as const;
  /** Runaway queries sent and not yet reported. */
  private pending: Promise<string>[] = [];

  async setup(test: TestContext): Promise<void> {
    if (!test.db.runaway) throw new NemesisError('NEMESIS_UNSUPPORTED', `the runaway nemesis needs the ${test.db.name} adapter to implement runaway()`);
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    if (op.f === START_RUNAWAY) {
      // Sent, not awaited: the query runs while the window is open.
      this.pending.push((test.db.runaway as NonNullable<TestContext['db']['runaway']>).call(test.db, test, RUNAWAY_DEADLINE_MS));
      return nemesisCompletion(op, `a runaway query sent, deadline ${RUNAWAY_DEADLINE_MS} ms`, []);
    }
    if (op.f === STOP_RUNAWAY) {
      const outcomes = await this.drain();
      return nemesisCompletion(op, outcomes.length === 0 ? 'no runaway query in flight' : outcomes.join('; '), []);
    }
    throw new NemesisError('NEMESIS_UNKNOWN_F', `the runaway nemesis handles ${this.fs.join(' and ')}, and was sent ${JSON.stringify(op.f)}`);
  }

  async teardown(): Promise<void> {
    await this.drain();
  }

  private async drain(): Promise<string[]> {
    const pending = this.pending;
    this.pending = [];
    return Promise.all(pending);
  }
}
