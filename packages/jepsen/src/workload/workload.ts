/**
 * The built-in workloads: what the client threads do, and how the history is judged.
 * - register: reads and writes of one key at a time (or independent keys);
 * - cas-register: reads, writes and compare-and-set, the seed's workload;
 * - set: unique adds for the test's duration, then a final read by every thread;
 * - mutex: each thread takes the one lock and releases it, over and over.
 */
import {
  cycle,
  delay,
  eachThread,
  independentKeys,
  limit,
  mix,
  once,
  repeatedly,
  sequence,
  timeLimit,
  untilCrashes,
  untilOk,
  type Generator,
} from '../generator/generator.js';

/** How long each thread keeps trying its final read of the set. */
const FINAL_READ_SECONDS = 30;
import type { ModelName, TestConfig } from '../test-config.js';

export interface Workload {
  /** The client operations during the test; the runner bounds them by the time limit and rate. */
  main(): Generator;
  /** Operations after the main phase and the nemesis heal (the set's final read). */
  final?(): Generator;
  /** How the history is checked. */
  checker: { kind: 'linearizable'; model: ModelName } | { kind: 'set' };
}

export function workloadFor(config: TestConfig): Workload {
  const { name, valueCount, threadsPerKey, opsPerKey, crashesPerKey } = config.workload;
  const value = (random: () => number) => 1 + Math.floor(random() * valueCount);
  const register = (withCas: boolean): Generator => {
    const read = repeatedly(() => ({ f: 'read', value: null }));
    const write = repeatedly((context) => ({ f: 'write', value: value(context.random) }));
    const cas = repeatedly((context) => ({ f: 'cas', value: [value(context.random), value(context.random)] }));
    return mix(withCas ? [read, write, cas] : [read, write]);
  };
  const perKey = (make: () => Generator): Generator =>
    opsPerKey === 0 && threadsPerKey >= config.concurrency
      ? make()
      : independentKeys({ threadsPerKey }, () => {
          const bounded = opsPerKey === 0 ? make() : limit(opsPerKey, make());
          return crashesPerKey === 0 ? bounded : untilCrashes(crashesPerKey, bounded);
        });
  switch (name) {
    case 'register':
      return { main: () => perKey(() => register(false)), checker: { kind: 'linearizable', model: 'register' } };
    case 'cas-register':
      return { main: () => perKey(() => register(true)), checker: { kind: 'linearizable', model: 'cas-register' } };
    case 'set': {
      let nextElement = 0;
      return {
        main: () => repeatedly(() => ({ f: 'add', value: nextElement++ })),
        // Each thread reads until a read succeeds (half a second apart, for at most
        // FINAL_READ_SECONDS): a group whose primary died at the end of the run may take
        // longer to recover than one read's retries last.
        final: () =>
          eachThread(() =>
            timeLimit(
              FINAL_READ_SECONDS,
              untilOk(
                delay(
                  0.5,
                  repeatedly(() => ({ f: 'read-set', value: null })),
                ),
              ),
            ),
          ),
        checker: { kind: 'set' },
      };
    }
    case 'mutex':
      return {
        main: () => eachThread(() => cycle(() => sequence([once({ f: 'acquire', value: null }), once({ f: 'release', value: null })]))),
        checker: { kind: 'linearizable', model: 'mutex' },
      };
  }
}
