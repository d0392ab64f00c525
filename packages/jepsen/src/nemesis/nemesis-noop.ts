/**
 * The nemesis of pyjepsen's mode None: handles no f and does nothing, so a run without
 * faults goes through the same setup and teardown as any other.
 */
import { NemesisError } from '../jepsen-errors.js';
import type { Nemesis } from './nemesis.js';
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export const noopNemesis: Nemesis = Object.freeze({
  fs: Object.freeze([]),
  async setup(_test: TestContext): Promise<void> {},
  async invoke(_test: TestContext, op: Op): Promise<Op> {
    throw new NemesisError('NEMESIS_UNKNOWN_F', `the noop nemesis (mode None) handles no f, and was sent ${JSON.stringify(op.f)}`);
  },
  async teardown(_test: TestContext): Promise<void> {},
});
