import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckerError } from '../src/errors.js';
import { parseEdn, ednGet, keyword, type EdnMap } from '../src/history/edn.js';
import {
  checkLinearizability,
  linearizabilityResultToEdn,
  LINEARIZABILITY_ALGORITHMS,
  type LinearizabilityOptions,
  type LinearizabilityResult,
} from '../src/checker/linearizability.js';
import type { Model } from '../src/model/model.js';
import { kvModel } from '../src/model/model-kv.js';
import { mutexModel } from '../src/model/model-mutex.js';
import { casRegisterModel, registerModel } from '../src/model/model-register.js';
import type { Op, OpType, OpValue, Process } from '../src/history/op.js';
import { prepareHistory } from '../src/history/prepared-history.js';

type Entry = [Process, OpType, string, OpValue] | [Process, OpType, string, OpValue, string];

function history(entries: Entry[]): Op[] {
  return entries.map(([process, type, f, value, key], index) => {
    const op: Op = { type, f, value, process, time: index * 1000, index };
    if (key !== undefined) op.key = key;
    return op;
  });
}

/** Checks with every algorithm, asserts they agree, and returns the competition's result. */
function checkAll(ops: Op[], options: Omit<LinearizabilityOptions, 'algorithm'>): LinearizabilityResult {
  const results = LINEARIZABILITY_ALGORITHMS.map((algorithm) => checkLinearizability(ops, { ...options, algorithm }));
  const verdicts = results.map((result) => result.valid);
  assert.ok(
    verdicts.every((verdict) => verdict === verdicts[0]),
    `algorithms disagree: ${LINEARIZABILITY_ALGORITHMS.map((name, i) => `${name}=${String(verdicts[i])}`).join(' ')}`,
  );
  const failingOps = results.map((result) => result.failure?.op.index);
  assert.ok(
    failingOps.every((index) => index === failingOps[0]),
    `algorithms blame different ops: ${failingOps.join(' ')}`,
  );
  return results[0] as LinearizabilityResult;
}

const register = registerModel() as Model;
const casRegister = casRegisterModel() as Model;

test('an empty history is linearizable', () => {
  const result = checkAll([], { model: casRegister });
  assert.equal(result.valid, true);
  assert.equal(result.opCount, 0);
});

test('sequential write then read of the written value is linearizable', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'ok', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  assert.equal(checkAll(ops, { model: register }).valid, true);
});

test('a stale read after a newer write completed is not linearizable, and the report names it', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'ok', 'write', 1],
    [0, 'invoke', 'write', 2],
    [0, 'ok', 'write', 2],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  const result = checkAll(ops, { model: register });
  assert.equal(result.valid, false);
  assert.equal(result.failure?.op.index, 5);
  assert.equal(result.failure?.previousOk?.index, 3);
  const paths = result.failure?.finalPaths ?? [];
  assert.ok(paths.length >= 1 && paths.length <= 10);
  assert.deepEqual(paths[0], [
    { op: null, model: { value: 2 } },
    { op: ops[5], model: { msg: "can't read 1 from register 2" } },
  ]);
  assert.deepEqual(result.failure?.configs[0], { model: { value: 2 }, pending: [ops[4]] });
});

test('a read overlapping a write may see either value', () => {
  for (const seen of [null, 1]) {
    const ops = history([
      [0, 'invoke', 'write', 1],
      [1, 'invoke', 'read', null],
      [1, 'ok', 'read', seen],
      [0, 'ok', 'write', 1],
    ]);
    assert.equal(checkAll(ops, { model: register }).valid, true, `read ${String(seen)}`);
  }
});

test('two reads after concurrent writes must agree on the order of the writes', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [1, 'invoke', 'write', 2],
    [0, 'ok', 'write', 1],
    [1, 'ok', 'write', 2],
    [2, 'invoke', 'read', null],
    [2, 'ok', 'read', 2],
    [2, 'invoke', 'read', null],
    [2, 'ok', 'read', 1],
  ]);
  const result = checkAll(ops, { model: register });
  assert.equal(result.valid, false);
  assert.equal(result.failure?.op.index, 7);
});

test('a crashed write may take effect at any later point, even after its info', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'info', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', null],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  assert.equal(checkAll(ops, { model: casRegister }).valid, true);
});

test('a crashed write takes effect at most once: nil after seeing it is not linearizable', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'info', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', null],
  ]);
  assert.equal(checkAll(ops, { model: casRegister }).valid, false);
  // Knossos's reading of nil reads lets the same history pass.
  assert.equal(checkAll(ops, { model: casRegisterModel({ nilReads: 'always-legal' }) }).valid, true);
});

test('a crashed write may also never take effect', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'ok', 'write', 1],
    [1, 'invoke', 'write', 2],
    [1, 'info', 'write', 2],
    [2, 'invoke', 'read', null],
    [2, 'ok', 'read', 1],
  ]);
  assert.equal(checkAll(ops, { model: casRegister }).valid, true);
});

test('an invocation never completed counts as crashed', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  assert.equal(checkAll(ops, { model: casRegister }).valid, true);
});

test('a failed write did not happen: reading its value is not linearizable', () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'fail', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  const result = checkAll(ops, { model: casRegister });
  assert.equal(result.valid, false);
  assert.equal(result.failure?.previousOk, null);
});

test('crashed reads and failed ops are dropped before the search', () => {
  const ops = history([
    [0, 'invoke', 'read', null],
    [0, 'info', 'read', null],
    [1, 'invoke', 'write', 3],
    [1, 'fail', 'write', 3],
    [2, 'invoke', 'read', null],
  ]);
  const prepared = prepareHistory(ops, casRegister);
  assert.equal(prepared.ops.length, 0);
  assert.equal(prepared.droppedCount, 5);
  assert.equal(checkAll(ops, { model: casRegister }).valid, true);
});

test('equal crashed writes are linearized in one order only, and still each may or may not happen', () => {
  const writes: Entry[] = [];
  for (let process = 0; process < 16; process++) writes.push([process, 'invoke', 'write', process % 2]);
  for (let process = 0; process < 16; process++) writes.push([process, 'info', 'write', process % 2]);
  const prepared = prepareHistory(history(writes), casRegister);
  assert.deepEqual([...prepared.sameClassBefore.slice(0, 4)], [-1, -1, 0, 1], 'each crashed write points at the previous equal one');
  // Alternating reads need the writes to take effect over and over: 0, 1, 0, 1, ...
  const reads: Entry[] = [];
  for (let round = 0; round < 16; round++) reads.push([100, 'invoke', 'read', null], [100, 'ok', 'read', round % 2]);
  const valid = checkAll(history([...writes, ...reads]), { model: casRegister });
  assert.equal(valid.valid, true);
  // A 17th alternation needs a 17th write: there are only 16.
  const tooMany = checkAll(history([...writes, ...reads, [100, 'invoke', 'read', null], [100, 'ok', 'read', 0]]), { model: casRegister });
  assert.equal(tooMany.valid, false);
  assert.ok(tooMany.configCount < 20_000, `explored ${tooMany.configCount} configurations`);
});

test('CAS: succeeds from the current value only', () => {
  const model = casRegisterModel({ initialValue: 0 }) as Model;
  const good = history([
    [0, 'invoke', 'cas', [0, 1]],
    [0, 'ok', 'cas', [0, 1]],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 1],
  ]);
  assert.equal(checkAll(good, { model }).valid, true);
  const twice = history([
    [0, 'invoke', 'cas', [0, 1]],
    [0, 'ok', 'cas', [0, 1]],
    [1, 'invoke', 'cas', [0, 1]],
    [1, 'ok', 'cas', [0, 1]],
  ]);
  const result = checkAll(twice, { model });
  assert.equal(result.valid, false);
  assert.deepEqual(result.failure?.finalPaths[0]?.at(-1)?.model, { msg: "can't CAS 1 from 0 to 1" });
});

test('a failed CAS is an observation only in the observes-mismatch reading', () => {
  const ops = history([
    [0, 'invoke', 'write', 0],
    [0, 'ok', 'write', 0],
    [1, 'invoke', 'cas', [0, 1]],
    [1, 'fail', 'cas', [0, 1]],
  ]);
  assert.equal(checkAll(ops, { model: casRegister }).valid, true);
  assert.equal(checkAll(ops, { model: casRegisterModel({ failedCas: 'observes-mismatch' }) }).valid, false);
});

test('mutex: overlapping acquires cannot both succeed; acquire, release, acquire can', () => {
  const mutex = mutexModel() as Model;
  const both = history([
    [0, 'invoke', 'acquire', null],
    [1, 'invoke', 'acquire', null],
    [0, 'ok', 'acquire', null],
    [1, 'ok', 'acquire', null],
  ]);
  assert.equal(checkAll(both, { model: mutex }).valid, false);
  const turns = history([
    [0, 'invoke', 'acquire', null],
    [0, 'ok', 'acquire', null],
    [1, 'invoke', 'acquire', null],
    [0, 'invoke', 'release', null],
    [0, 'ok', 'release', null],
    [1, 'ok', 'acquire', null],
  ]);
  assert.equal(checkAll(turns, { model: mutex }).valid, true);
});

test('nemesis ops are not checked', () => {
  const ops = history([
    ['nemesis', 'info', 'start-partition', 'majority'],
    [0, 'invoke', 'write', 1],
    ['nemesis', 'info', 'start-partition', null],
    [0, 'ok', 'write', 1],
  ]);
  const result = checkAll(ops, { model: casRegister });
  assert.equal(result.valid, true);
  assert.equal(result.opCount, 2);
});

test('keys are checked independently; one invalid key makes the whole invalid', () => {
  const ops = history([
    [0, 'invoke', 'write', 1, 'a'],
    [1, 'invoke', 'write', 2, 'b'],
    [0, 'ok', 'write', 1, 'a'],
    [1, 'ok', 'write', 2, 'b'],
    [0, 'invoke', 'read', null, 'a'],
    [1, 'invoke', 'read', null, 'b'],
    [0, 'ok', 'read', 1, 'a'],
    [1, 'ok', 'read', 1, 'b'],
  ]);
  const result = checkAll(ops, { model: casRegister, allKeys: true });
  assert.equal(result.valid, false);
  assert.equal(result.key, 'b');
  assert.equal(result.perKey?.get('a')?.valid, true);
  assert.equal(result.perKey?.get('b')?.valid, false);
  assert.equal(result.failure?.op.index, 7);
  // Checked as one history, the verdict is the same.
  assert.equal(checkAll(ops, { model: casRegister, perKey: false }).valid, false);
});

test('a history whose keys are all valid is valid, per key and whole', () => {
  const ops = history([
    [0, 'invoke', 'append', 'x', 'a'],
    [1, 'invoke', 'append', 'y', 'b'],
    [0, 'ok', 'append', 'x', 'a'],
    [1, 'ok', 'append', 'y', 'b'],
    [0, 'invoke', 'get', null, 'b'],
    [0, 'ok', 'get', 'y', 'b'],
  ]);
  const perKey = checkAll(ops, { model: kvModel() });
  assert.equal(perKey.valid, true);
  assert.deepEqual([...(perKey.perKey?.keys() ?? [])], ['a', 'b']);
  assert.equal(checkAll(ops, { model: kvModel(), perKey: false }).valid, true);
});

/**
 * Twenty concurrent crashed writes of distinct values, then a read of a value nobody
 * wrote: not linearizable, but proving it means trying every subset of the writes in
 * every order, far too many to finish.
 */
function explosiveHistory(writerCount: number): Op[] {
  const entries: Entry[] = [];
  for (let process = 0; process < writerCount; process++) entries.push([process, 'invoke', 'write', process]);
  for (let process = 0; process < writerCount; process++) entries.push([process, 'info', 'write', process]);
  for (let round = 0; round < writerCount; round++) {
    entries.push([1000, 'invoke', 'read', null]);
    entries.push([1000, 'ok', 'read', round]);
  }
  entries.push([1000, 'invoke', 'read', null]);
  entries.push([1000, 'ok', 'read', -1]);
  return history(entries);
}

test('a time limit gives unknown with a reason, promptly, for every algorithm', () => {
  const ops = explosiveHistory(20);
  for (const algorithm of LINEARIZABILITY_ALGORITHMS) {
    const startMs = performance.now();
    const result = checkLinearizability(ops, { model: casRegister, algorithm, timeLimitMs: 200, memoryLimitBytes: 4 * 1024 ** 3 });
    const elapsedMs = performance.now() - startMs;
    assert.equal(result.valid, 'unknown', algorithm);
    assert.match(result.reason ?? '', /time limit of 200 ms reached/);
    assert.ok(elapsedMs < 1500, `${algorithm} took ${elapsedMs} ms`);
  }
});

test('a memory limit gives unknown with a reason, for every algorithm', () => {
  const ops = explosiveHistory(20);
  for (const algorithm of LINEARIZABILITY_ALGORITHMS) {
    const result = checkLinearizability(ops, { model: casRegister, algorithm, timeLimitMs: 30_000, memoryLimitBytes: 1024 * 1024 });
    assert.equal(result.valid, 'unknown', algorithm);
    assert.match(result.reason ?? '', /memory limit/);
  }
});

test('with keys, a limit makes the keys unknown but an invalid key still decides', () => {
  const invalidKey = history([
    [0, 'invoke', 'read', null, 'bad'],
    [0, 'ok', 'read', 5, 'bad'],
  ]).map((op) => ({ ...op, index: op.index + 1000 }));
  const hard = explosiveHistory(20).map((op) => ({ ...op, key: 'hard' }));
  const result = checkLinearizability([...hard, ...invalidKey], { model: casRegister, timeLimitMs: 5_000 });
  assert.equal(result.valid, false);
  assert.equal(result.key, 'bad');
  assert.equal(result.perKey?.get('hard')?.valid, 'unknown');
  assert.match(result.perKey?.get('hard')?.reason ?? '', /not finished: key bad is not linearizable/);

  const onlyHard = checkLinearizability(hard, { model: casRegister, timeLimitMs: 100 });
  assert.equal(onlyHard.valid, 'unknown');
  assert.match(onlyHard.reason ?? '', /1 of 1 keys unknown; key hard: time limit/);
});

test('histories that cannot be checked are rejected with stable codes', () => {
  const code = (expected: string) => (error: unknown) => error instanceof CheckerError && error.code === expected;
  assert.throws(() => checkLinearizability(history([[0, 'ok', 'read', 1]]), { model: casRegister }), code('HISTORY_MALFORMED'));
  assert.throws(
    () =>
      checkLinearizability(
        history([
          [0, 'invoke', 'read', null],
          [0, 'invoke', 'read', null],
        ]),
        { model: casRegister },
      ),
    code('HISTORY_MALFORMED'),
  );
  assert.throws(
    () =>
      checkLinearizability(
        history([
          [0, 'invoke', 'read', null],
          [0, 'ok', 'write', 1],
        ]),
        { model: casRegister },
      ),
    code('HISTORY_MALFORMED'),
  );
  assert.throws(() => checkLinearizability(history([[0, 'invoke', 'dequeue', null]]), { model: casRegister }), code('OPERATION_UNSUPPORTED'));
  assert.throws(() => checkLinearizability([], { model: casRegister, algorithm: 'knossos' }), code('ALGORITHM_UNKNOWN'));
  assert.throws(() => checkLinearizability([], { model: 'queue' }), code('MODEL_UNKNOWN'));
  assert.throws(
    () =>
      checkLinearizability(
        history([
          [0, 'invoke', 'read', null, 'a'],
          [1, 'invoke', 'read', null],
        ]),
        { model: casRegister },
      ),
    code('HISTORY_MALFORMED'),
  );
});

test('a lone info (no invocation) is ignored, as Jepsen allows', () => {
  const ops = history([
    [5, 'info', 'write', 1],
    [0, 'invoke', 'read', null],
    [0, 'ok', 'read', null],
  ]);
  assert.equal(checkAll(ops, { model: 'cas-register' }).valid, true);
});

test("the result as EDN has Knossos's keys and reads back", () => {
  const ops = history([
    [0, 'invoke', 'write', 1],
    [0, 'ok', 'write', 1],
    [1, 'invoke', 'read', null],
    [1, 'ok', 'read', 2],
  ]);
  const result = checkLinearizability(ops, { model: casRegister, algorithm: 'wgl' });
  const edn = parseEdn(linearizabilityResultToEdn(result)) as EdnMap;
  assert.equal(ednGet(edn, 'valid?'), false);
  assert.equal(ednGet(edn, 'analyzer'), keyword('wgl'));
  assert.equal(ednGet(edn, 'model'), 'cas-register (nil-reads only-while-absent, failed-cas no-effect)');
  assert.equal(ednGet(ednGet(edn, 'op') as EdnMap, 'index'), 3);
  assert.equal(ednGet(ednGet(edn, 'previous-ok') as EdnMap, 'index'), 1);
  const paths = ednGet(edn, 'final-paths') as EdnMap[][];
  assert.equal(ednGet(ednGet(paths[0]?.[1] as EdnMap, 'model') as EdnMap, 'msg'), "can't read 2 from register 1");

  const keyed = checkLinearizability(
    history([
      [0, 'invoke', 'read', null, 'k'],
      [0, 'ok', 'read', 2, 'k'],
    ]),
    { model: casRegister },
  );
  const keyedEdn = parseEdn(linearizabilityResultToEdn(keyed)) as EdnMap;
  assert.deepEqual(ednGet(keyedEdn, 'failures'), ['k']);
  assert.equal(ednGet((ednGet(keyedEdn, 'results') as EdnMap).get('k') as EdnMap, 'valid?'), false);

  const unknown = checkLinearizability(explosiveHistory(20), { model: casRegister, timeLimitMs: 50 });
  assert.equal(ednGet(parseEdn(linearizabilityResultToEdn(unknown)) as EdnMap, 'valid?'), keyword('unknown'));
});

test('crashed ops that cannot change the state are never linearized: they add no configuration to a search', () => {
  // Two concurrent writes, then a read of a value nobody wrote: not linearizable, so each
  // search must visit every configuration it can reach before saying so.
  const base: Entry[] = [
    [0, 'invoke', 'write', 1],
    [1, 'invoke', 'write', 2],
    [0, 'ok', 'write', 1],
    [1, 'ok', 'write', 2],
    [0, 'invoke', 'cas', [1, 2]],
    [0, 'ok', 'cas', [1, 2]],
    [0, 'invoke', 'read', null],
    [0, 'ok', 'read', 3],
  ];
  // Crashed CAS from a value to itself, of every value: legal in some state, never a change.
  const noOps: Entry[] = [1, 2, 3, 4, 5].flatMap((value): Entry[] => [
    [10 + value, 'invoke', 'cas', [value, value]],
    [10 + value, 'info', 'cas', [value, value]],
  ]);
  const plain = history(base);
  const withNoOps = history([...noOps.slice(0, 6), ...base.slice(0, 4), ...noOps.slice(6), ...base.slice(4)]);
  for (const algorithm of ['linear', 'wgl']) {
    const alone = checkLinearizability(plain, { model: casRegister, algorithm });
    const crowded = checkLinearizability(withNoOps, { model: casRegister, algorithm });
    assert.equal(alone.valid, false, algorithm);
    assert.equal(crowded.valid, false, algorithm);
    assert.equal(
      crowded.configCount,
      alone.configCount,
      `${algorithm}: ${crowded.configCount} configurations with the no-op crashes, ${alone.configCount} without`,
    );
  }
});
