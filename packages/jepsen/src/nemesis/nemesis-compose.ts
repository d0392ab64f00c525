/**
 * Several nemeses as one (Jepsen's compose): each op goes to the nemesis that handles its
 * f; setup sets every one up, teardown tears every one down, even after another failed.
 */
import { NemesisError } from '../jepsen-errors.js';
import { describeFailures } from './nemesis-outcome.js';
import type { Nemesis } from './nemesis.js';
import type { Op } from '@minisql/checker';
import type { TestContext } from '../test-context.js';

export class ComposedNemesis implements Nemesis {
  readonly fs: readonly string[];
  /** f -> the nemesis that handles it. */
  private readonly routes: ReadonlyMap<string, Nemesis>;

  constructor(private readonly nemeses: readonly Nemesis[]) {
    const routes = new Map<string, Nemesis>();
    for (const nemesis of nemeses) {
      for (const f of nemesis.fs) {
        if (routes.has(f)) throw new NemesisError('NEMESIS_DUPLICATE_F', `two composed nemeses both handle f ${JSON.stringify(f)}`);
        routes.set(f, nemesis);
      }
    }
    this.routes = routes;
    this.fs = Object.freeze([...routes.keys()]);
  }

  async setup(test: TestContext): Promise<void> {
    // In order, so an unsupported fault is reported before any other one is prepared.
    for (const nemesis of this.nemeses) await nemesis.setup(test);
  }

  invoke(test: TestContext, op: Op): Promise<Op> {
    const nemesis = this.routes.get(op.f);
    if (!nemesis) {
      return Promise.reject(new NemesisError('NEMESIS_UNKNOWN_F', `no composed nemesis handles f ${JSON.stringify(op.f)} (they handle ${this.fs.join(', ')})`));
    }
    return nemesis.invoke(test, op);
  }

  async teardown(test: TestContext): Promise<void> {
    const results = await Promise.allSettled(this.nemeses.map((nemesis) => nemesis.teardown(test)));
    const failed = new Map<string, Error>();
    results.forEach((result, index) => {
      if (result.status === 'rejected') failed.set(`nemesis ${index} (${this.nemeses[index]?.fs.join(', ')})`, result.reason as Error);
    });
    if (failed.size > 0) throw new NemesisError('NEMESIS_HEAL_FAILED', describeFailures(failed));
  }
}

export function composeNemeses(nemeses: readonly Nemesis[]): ComposedNemesis {
  return new ComposedNemesis(nemeses);
}
