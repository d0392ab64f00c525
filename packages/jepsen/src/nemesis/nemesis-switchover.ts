/**
 * Nemeses that ask the database to change itself on purpose, at each start and each stop
 * of a window, through a method of its adapter; what the database said is the op's value.
 * - switchover: every replica group hands its primary role to a replica (switchover());
 * - move: every table moves to another group (moveTables()).
 * A database whose planned change can lose or reorder an acknowledged write, or serve a
 * stale read while two members both think they serve, shows it in the history.
 */
import { NemesisError } from '../jepsen-errors.js';
import type { Nemesis } from './nemesis.js';
import { nemesisCompletion } from './nemesis-outcome.js';
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export const START_SWITCHOVER = 'start-switchover';
export const STOP_SWITCHOVER = 'stop-switchover';
export const START_MOVE = 'start-move';
export const STOP_MOVE = 'stop-move';

type Database = TestContext['db'];

/** A nemesis whose start and stop both call one method of the database adapter. */
class AdapterActionNemesis implements Nemesis {
  readonly fs: readonly string[];

  constructor(
    private readonly name: string,
    startF: string,
    stopF: string,
    private readonly method: 'switchover' | 'moveTables',
  ) {
    this.fs = [startF, stopF];
  }

  async setup(test: TestContext): Promise<void> {
    if (!test.db[this.method])
      throw new NemesisError('NEMESIS_UNSUPPORTED', `the ${this.name} nemesis needs the ${test.db.name} adapter to implement ${this.method}()`);
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    if (!this.fs.includes(op.f)) {
      throw new NemesisError('NEMESIS_UNKNOWN_F', `the ${this.name} nemesis handles ${this.fs.join(' and ')}, and was sent ${JSON.stringify(op.f)}`);
    }
    const action = test.db[this.method] as NonNullable<Database[typeof this.method]>;
    return nemesisCompletion(op, await action.call(test.db, test), []);
  }

  async teardown(): Promise<void> {}
}

export class SwitchoverNemesis extends AdapterActionNemesis {
  constructor() {
    super('switchover', START_SWITCHOVER, STOP_SWITCHOVER, 'switchover');
  }
}

export class MoveNemesis extends AdapterActionNemesis {
  constructor() {
    super('move', START_MOVE, STOP_MOVE, 'moveTables');
  }
}
