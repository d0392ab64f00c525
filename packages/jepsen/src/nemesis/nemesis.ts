/**
 * A nemesis injects faults. The generator sends it ops with process `nemesis` (f such as
 * start-partition, stop-partition, kill, start, pause, resume, start-delay, stop-delay);
 * it carries them out and returns the completion, whose value says what it did.
 * `teardown` heals every fault it may have left, and must succeed even when nothing was
 * injected or an earlier heal failed.
 */
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export interface Nemesis {
  /** The op functions it understands. */
  readonly fs: readonly string[];
  setup(test: TestContext): Promise<void>;
  invoke(test: TestContext, op: Op): Promise<Op>;
  teardown(test: TestContext): Promise<void>;
}
