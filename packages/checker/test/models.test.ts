import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckerError } from '../src/errors.js';
import type { Model, ModelOp, ModelOutcome } from '../src/model/model.js';
import { kvModel } from '../src/model/model-kv.js';
import { multiKeyModel } from '../src/model/model-multi-key.js';
import { mutexModel } from '../src/model/model-mutex.js';
import { casRegisterModel, registerModel } from '../src/model/model-register.js';
import { modelNamed } from '../src/model/models.js';
import type { OpValue } from '../src/history/op.js';

function op(f: string, input: OpValue, output: OpValue = input, outcome: ModelOutcome = 'ok', key?: string): ModelOp {
  return key === undefined ? { f, input, output, outcome } : { f, input, output, outcome, key };
}

/** Applies ops in order; the states after each, undefined from the first illegal one. */
function run<S>(model: Model<S>, ops: ModelOp[]): Array<S | undefined> {
  const states: Array<S | undefined> = [];
  let state: S | undefined = model.initialState();
  for (const next of ops) {
    state = state === undefined ? undefined : model.step(state, next);
    states.push(state);
  }
  return states;
}

test('register: writes replace, reads must see the value', () => {
  const model = registerModel();
  assert.deepEqual(run(model, [op('write', 3), op('read', null, 3), op('write', 4), op('read', null, 4)]), [3, 3, 4, 4]);
  assert.equal(run(model, [op('write', 3), op('read', null, 4)])[1], undefined);
  assert.equal(model.explainIllegal(3, op('read', null, 4)), "can't read 4 from register 3");
  assert.match(model.checkOp(op('cas', [1, 2])) ?? '', /register has no operation cas/);
});

test('nil reads, only-while-absent (default, Porcupine): legal before any write, illegal after', () => {
  const model = casRegisterModel();
  assert.equal(model.step(null, op('read', null, null)), null);
  assert.equal(model.step(1, op('read', null, null)), undefined);
});

test('nil reads, always-legal (Knossos): a nil read passes in any state', () => {
  const model = casRegisterModel({ nilReads: 'always-legal' });
  assert.equal(model.step(1, op('read', null, null)), 1);
  assert.equal(model.step(1, op('read', null, 2)), undefined);
});

test('cas-register: a CAS succeeds exactly when the register holds its from value', () => {
  const model = casRegisterModel({ initialValue: 0 });
  assert.deepEqual(run(model, [op('cas', [0, 1]), op('cas', [1, 2]), op('read', null, 2)]), [1, 2, 2]);
  assert.equal(model.step(5, op('cas', [0, 1])), undefined);
  assert.equal(model.explainIllegal(5, op('cas', [0, 1])), "can't CAS 5 from 0 to 1");
  assert.deepEqual(model.stateToValue(2), { value: 2 });
  assert.match(model.checkOp(op('cas', 3)) ?? '', /needs \[from to\]/);
});

test('a crashed CAS steps like an ok one: it takes effect only if it matches', () => {
  const model = casRegisterModel();
  assert.equal(model.step(0, op('cas', [0, 1], null, 'info')), 1);
  assert.equal(model.step(2, op('cas', [0, 1], null, 'info')), undefined);
});

test('failed CAS: dropped by default, an observation of a mismatch when asked', () => {
  const jepsen = casRegisterModel();
  const porcupine = casRegisterModel({ failedCas: 'observes-mismatch' });
  const failed = op('cas', [0, 1], [0, 1], 'fail');
  assert.equal(jepsen.observesFailure(failed), false);
  assert.equal(porcupine.observesFailure(failed), true);
  assert.equal(porcupine.step(2, failed), 2, 'a failed CAS that found another value leaves it');
  assert.equal(porcupine.step(0, failed), undefined, 'a CAS cannot fail on a register holding its from value');
  assert.equal(porcupine.observesFailure(op('write', 1, 1, 'fail')), false);
});

test('registers: reads are read-only (a crashed read is dropped), writes are not', () => {
  const model = casRegisterModel();
  assert.equal(model.isReadOnly(op('read', null)), true);
  assert.equal(model.isReadOnly(op('write', 1)), false);
  assert.equal(model.isReadOnly(op('cas', [1, 2])), false);
});

test('register values compare by value: vectors and strings, never 1 against "1"', () => {
  const model = registerModel();
  assert.deepEqual(model.step([1, 2], op('read', null, [1, 2])), [1, 2]);
  assert.equal(model.step(1, op('read', null, '1')), undefined);
  assert.notEqual(model.stateKey(1), model.stateKey('1'));
  assert.notEqual(model.stateKey(null), model.stateKey('null'));
});

test('mutex: acquire only when free, release only when held', () => {
  const model = mutexModel();
  assert.deepEqual(run(model, [op('acquire', null), op('release', null), op('acquire', null)]), [true, false, true]);
  assert.equal(model.step(true, op('acquire', null)), undefined);
  assert.equal(model.step(false, op('release', null)), undefined);
  assert.equal(model.explainIllegal(true, op('acquire', null)), 'already held');
  assert.deepEqual(model.stateToValue(true), { 'locked?': true });
});

test('kv: get returns the string, put replaces it, append concatenates; initially ""', () => {
  const model = kvModel();
  assert.deepEqual(run(model, [op('get', null, ''), op('append', 'x'), op('append', 'y'), op('get', null, 'xy'), op('put', 'z'), op('get', null, 'z')]), [
    '',
    'x',
    'xy',
    'xy',
    'z',
    'z',
  ]);
  assert.equal(model.step('x', op('get', null, 'y')), undefined);
  assert.equal(model.step('', op('get', null, null)), '', 'a nil get reads as the empty string');
  assert.match(model.checkOp(op('append', 3)) ?? '', /needs a string/);
});

test('multi-key: keys evolve independently and equal states share a key', () => {
  const model = multiKeyModel(kvModel(), ['a', 'b']);
  const start = model.initialState();
  const viaA = model.step(start, op('append', 'x', 'x', 'ok', 'a'));
  assert.ok(viaA);
  const thenB = model.step(viaA, op('append', 'y', 'y', 'ok', 'b'));
  const otherOrder = model.step(model.step(start, op('append', 'y', 'y', 'ok', 'b')) as never, op('append', 'x', 'x', 'ok', 'a'));
  assert.ok(thenB && otherOrder);
  assert.equal(model.stateKey(thenB), model.stateKey(otherOrder));
  assert.equal(model.step(thenB, op('get', null, 'x', 'ok', 'b')), undefined);
  assert.deepEqual(
    model.stateToValue(thenB),
    new Map([
      ['a', 'x'],
      ['b', 'y'],
    ]),
  );
  assert.match(model.checkOp(op('get', null, '', 'ok', 'c')) ?? '', /no key/);
});

test('models by name, with MODEL_UNKNOWN for others', () => {
  assert.equal(modelNamed('cas-register').name, 'cas-register');
  assert.equal(modelNamed('cas-register').describe(), 'cas-register (nil-reads only-while-absent, failed-cas no-effect)');
  assert.equal(modelNamed('mutex').name, 'mutex');
  assert.throws(
    () => modelNamed('queue'),
    (error: unknown) => error instanceof CheckerError && error.code === 'MODEL_UNKNOWN',
  );
});
