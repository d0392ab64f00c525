import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  any,
  clients,
  delay,
  eachThread,
  independentKeys,
  limit,
  mix,
  nemesis,
  once,
  phases,
  repeatedly,
  sequence,
  sleep,
  stagger,
  timeLimit,
  untilCrashes,
  untilOk,
  type GenContext,
  type Generator,
  type Thread,
} from '../src/generator/generator.js';
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';
import { seededRandom } from '@minisql/common';

interface Emitted {
  thread: Thread;
  f: string;
  key?: string | number;
  timeNs: number;
}

/**
 * Drives a generator on a simulated clock: every op takes `opNs` to complete, threads are
 * 0..threads-1 plus the nemesis. Bounded by `stepsMax` requests.
 */
function simulate(
  generator: Generator,
  options: { threads: number; opNs?: number; endNs?: number; stepsMax?: number; nemesisThread?: boolean; outcome?: (op: Op) => Op['type'] },
): Emitted[] {
  const random = seededRandom(7);
  const all: Thread[] = Array.from({ length: options.threads }, (_, i) => i);
  if (options.nemesisThread) all.push(NEMESIS_PROCESS);
  const busyUntil = new Map<Thread, { endNs: number; op: Op }>();
  const emitted: Emitted[] = [];
  let timeNs = 0;
  let index = 0;
  for (let step = 0; step < (options.stepsMax ?? 100_000); step++) {
    for (const [thread, { endNs, op }] of [...busyUntil]) {
      if (endNs <= timeNs) {
        busyUntil.delete(thread);
        generator.completed?.(thread, { ...op, type: options.outcome?.(op) ?? 'ok' });
      }
    }
    const context: GenContext = { timeNs, random, allThreads: all, freeThreads: all.filter((t) => !busyUntil.has(t)) };
    const result = generator.next(context);
    if (result.kind === 'done') return emitted;
    if (result.kind === 'op') {
      assert.ok(!busyUntil.has(result.thread), `thread ${String(result.thread)} was given an op while busy`);
      const op: Op = {
        type: 'invoke',
        f: result.template.f,
        value: null,
        process: result.thread,
        time: timeNs,
        index: index++,
        ...(result.template.key === undefined ? {} : { key: result.template.key }),
      };
      busyUntil.set(result.thread, { endNs: timeNs + (options.opNs ?? 1_000_000), op });
      emitted.push({ thread: result.thread, f: result.template.f, timeNs, ...(result.template.key === undefined ? {} : { key: result.template.key }) });
      continue;
    }
    const nextCompletion = Math.min(...[...busyUntil.values()].map((b) => b.endNs));
    const wake = Math.min(result.untilNs ?? Infinity, nextCompletion);
    if (!Number.isFinite(wake)) throw new Error('generator is pending with nothing to wait for');
    timeNs = Math.max(timeNs, wake);
    if (options.endNs !== undefined && timeNs > options.endNs) return emitted;
  }
  return emitted;
}

const read = () => repeatedly(() => ({ f: 'read' }));

describe('generators', () => {
  it('limit emits exactly n operations and then is done', () => {
    assert.equal(simulate(limit(7, read()), { threads: 3 }).length, 7);
  });

  it('timeLimit stops emitting at its deadline', () => {
    const ops = simulate(timeLimit(2, stagger(0.1, read())), { threads: 5 });
    assert.ok(ops.length > 0);
    assert.ok(
      ops.every((op) => op.timeNs < 2e9),
      'an op was emitted after the time limit',
    );
    assert.ok(ops.length >= 10 && ops.length <= 30, `about 20 ops in 2 s at one per 0.1 s, got ${ops.length}`);
  });

  it('stagger spaces operations by one interval on average across all threads', () => {
    const ops = simulate(limit(400, stagger(0.01, read())), { threads: 10 });
    const spanS = ops.at(-1)!.timeNs / 1e9;
    assert.ok(spanS > 3 && spanS < 5, `400 ops at 0.01 s apart on average should span about 4 s, spanned ${spanS}`);
  });

  it('never gives an op to a busy thread, and uses every thread under load', () => {
    const ops = simulate(limit(100, read()), { threads: 4, opNs: 5e6 });
    assert.deepEqual(new Set(ops.map((op) => op.thread)), new Set([0, 1, 2, 3]));
  });

  it('mix draws from every generator and is done when all are', () => {
    const ops = simulate(
      mix([
        limit(
          5,
          repeatedly(() => ({ f: 'a' })),
        ),
        limit(
          5,
          repeatedly(() => ({ f: 'b' })),
        ),
      ]),
      { threads: 2 },
    );
    assert.equal(ops.filter((op) => op.f === 'a').length, 5);
    assert.equal(ops.filter((op) => op.f === 'b').length, 5);
  });

  it('phases starts the next phase only after every op of the previous one completed', () => {
    const ops = simulate(
      phases([
        limit(
          3,
          repeatedly(() => ({ f: 'first' })),
        ),
        once({ f: 'second' }),
      ]),
      { threads: 3, opNs: 10e6 },
    );
    const lastFirst = Math.max(...ops.filter((op) => op.f === 'first').map((op) => op.timeNs));
    const second = ops.find((op) => op.f === 'second')!;
    assert.ok(second.timeNs >= lastFirst + 10e6, 'the second phase began while the first phase had ops in flight');
  });

  it('eachThread gives every thread its own generator', () => {
    const ops = simulate(
      eachThread(() => once({ f: 'final-read' })),
      { threads: 6 },
    );
    assert.deepEqual(ops.map((op) => op.thread).sort(), [0, 1, 2, 3, 4, 5]);
  });

  it('untilOk repeats until an operation completes ok, each thread on its own, and a time limit bounds it', () => {
    // Ops fail until 2 s into the run (a database still recovering), then succeed.
    const outcome = (op: Op): Op['type'] => (op.time < 2e9 ? 'fail' : 'ok');
    const ops = simulate(
      eachThread(() =>
        timeLimit(
          30,
          untilOk(
            delay(
              0.5,
              repeatedly(() => ({ f: 'read-set' })),
            ),
          ),
        ),
      ),
      { threads: 2, opNs: 1e6, outcome },
    );
    for (const thread of [0, 1]) {
      const mine = ops.filter((op) => op.thread === thread);
      assert.equal(mine.length, 5, `thread ${thread}: reads at 0, 0.5, 1, 1.5 s failed, the one at 2 s succeeded and was the last`);
      assert.equal(mine.at(-1)?.timeNs, 2e9);
    }
    const never = simulate(
      eachThread(() =>
        timeLimit(
          3,
          untilOk(
            delay(
              0.5,
              repeatedly(() => ({ f: 'read-set' })),
            ),
          ),
        ),
      ),
      { threads: 1, opNs: 1e6, outcome: () => 'fail' },
    );
    assert.equal(never.length, 6, 'a read every half second for 3 s, then the time limit ends it');
  });

  it("an op that completes after its phase ended goes back to the phase that emitted it: a late add does not count as the next phase's final read", () => {
    // Adds take 2 s; the main phase ends at 1 s with both threads still adding, and the
    // final read begins at 1.5 s, before those adds complete ok.
    const ops = simulate(
      sequence([
        timeLimit(
          1,
          repeatedly(() => ({ f: 'add' })),
        ),
        sleep(0.5),
        eachThread(() => untilOk(repeatedly(() => ({ f: 'read-set' })))),
      ]),
      { threads: 2, opNs: 2e9 },
    );
    const reads = ops.filter((op) => op.f === 'read-set');
    assert.deepEqual(reads.map((op) => op.thread).sort(), [0, 1], 'each thread reads once, after its add');
    // The same through any() and mix(): a completion reaches only the child that emitted it.
    const mixed = simulate(
      sequence([timeLimit(1, any([mix([repeatedly(() => ({ f: 'add' }))])])), eachThread(() => untilOk(repeatedly(() => ({ f: 'read-set' }))))]),
      { threads: 2, opNs: 2e9 },
    );
    assert.equal(mixed.filter((op) => op.f === 'read-set').length, 2);
  });

  it('clients and nemesis keep client ops off the nemesis thread and nemesis ops off client threads', () => {
    const generator = timeLimit(
      1,
      any([clients(read()), nemesis(sequence([sleep(0.2), once({ f: 'start-partition' }), sleep(0.2), once({ f: 'stop-partition' })]))]),
    );
    const ops = simulate(generator, { threads: 2, nemesisThread: true });
    const nemesisOps = ops.filter((op) => op.thread === NEMESIS_PROCESS);
    assert.deepEqual(
      nemesisOps.map((op) => op.f),
      ['start-partition', 'stop-partition'],
    );
    assert.ok(ops.filter((op) => op.thread !== NEMESIS_PROCESS).every((op) => op.f === 'read'));
    assert.ok(nemesisOps[0]!.timeNs >= 0.2e9);
  });

  it('independentKeys gives each group of threads its own key and moves to fresh keys', () => {
    const ops = simulate(
      limit(
        120,
        independentKeys({ threadsPerKey: 2 }, () => limit(10, read())),
      ),
      { threads: 6 },
    );
    const keys = new Set(ops.map((op) => op.key));
    assert.equal(keys.size, 12, `120 ops at 10 per key should use 12 keys, used ${keys.size}`);
    for (const key of keys) {
      const threads = new Set(ops.filter((op) => op.key === key).map((op) => op.thread));
      const groups = new Set([...threads].map((thread) => Math.floor((thread as number) / 2)));
      assert.equal(groups.size, 1, `key ${String(key)} was worked by threads of several groups`);
      assert.equal(ops.filter((op) => op.key === key).length, 10);
    }
  });

  it('untilCrashes retires a key once that many of its ops crashed, however many ops it had left', () => {
    // Every third op crashes (completes info); a key allows 100 ops but only 3 crashes.
    const crashes = (index: number) => index % 3 === 0;
    const ops = simulate(
      limit(
        200,
        independentKeys({ threadsPerKey: 2 }, () => untilCrashes(3, limit(100, read()))),
      ),
      {
        threads: 4,
        outcome: (op) => (crashes(op.index) ? 'info' : 'ok'),
      },
    );
    const keys = new Set(ops.map((op) => op.key));
    assert.ok(keys.size >= 10, `200 ops with a crash every third should use many keys, used ${keys.size}`);
    const finished = [...keys].slice(0, -2); // the last key of each group may be cut by the limit
    for (const key of finished) {
      const crashed = ops.filter((op, index) => op.key === key && crashes(index)).length;
      // The key retires when its third crash completes; the group's other thread may have
      // one more op in flight, which may crash too.
      assert.ok(crashed >= 3 && crashed <= 4, `key ${String(key)} had ${crashed} crashed ops`);
    }
  });
});
