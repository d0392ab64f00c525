/**
 * The switchover nemesis: at each start and each stop of a window, every replica group
 * hands its primary role to a replica on purpose (the database adapter's switchover()).
 * A database whose planned handover can lose or reorder an acknowledged write, or serve
 * a stale read while two members both think they lead, shows it in the history. What
 * each switchover said is the value of the op.
 */
import { NemesisError } from '../jepsen-errors.js';
import type { Nemesis } from './nemesis.js';
import { nemesisCompletion } from './nemesis-outcome.js';
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export const START_SWITCHOVER = 'start-switchover';
export const STOP_SWITCHOVER = 'stop-switchover';

export class SwitchoverNemesis implements Nemesis {
  readonly fs = [START_SWITCHOVER, STOP_SWITCHOVER] as const;

  async setup(test: TestContext): Promise<void> {
    if (!test.db.switchover)
      throw new NemesisError('NEMESIS_UNSUPPORTED', `the switchover nemesis needs the ${test.db.name} adapter to implement switchover()`);
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    if (op.f !== START_SWITCHOVER && op.f !== STOP_SWITCHOVER) {
      throw new NemesisError('NEMESIS_UNKNOWN_F', `the switchover nemesis handles ${this.fs.join(' and ')}, and was sent ${JSON.stringify(op.f)}`);
    }
    const outcome = await (test.db.switchover as NonNullable<TestContext['db']['switchover']>).call(test.db, test);
    return nemesisCompletion(op, outcome, []);
  }

  async teardown(): Promise<void> {}
}
