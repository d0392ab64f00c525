/**
 * Random small histories get the same verdict from linear, wgl, competition and a
 * brute-force checker that tries every order of every subset of crashed ops, written
 * independently of the searches (its own pairing, no caches, no prepared history).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkLinearizability } from '../src/checker/linearizability.js';
import type { Model, ModelOp, ModelOutcome } from '../src/model/model.js';
import { mutexModel } from '../src/model/model-mutex.js';
import { casRegisterModel } from '../src/model/model-register.js';
import type { Op, OpValue } from '../src/history/op.js';

interface BruteOp {
  op: ModelOp;
  call: number;
  /** Position of the completion; Infinity for a crashed op. */
  ret: number;
  required: boolean;
}

/** Linearizable iff some order of all required ops and some crashed ops respects real time and the model. */
function bruteForce(history: readonly Op[], model: Model): boolean {
  const ops: BruteOp[] = [];
  const open = new Map<number | string, { invoke: Op; call: number }>();
  history.forEach((entry, position) => {
    if (entry.type === 'invoke') {
      open.set(entry.process, { invoke: entry, call: position });
      return;
    }
    const started = open.get(entry.process);
    if (!started) return;
    open.delete(entry.process);
    if (entry.type === 'fail' && !model.observesFailure({ f: entry.f, input: started.invoke.value, output: entry.value, outcome: 'fail' })) return;
    const outcome: ModelOutcome = entry.type === 'info' ? 'info' : entry.type === 'fail' ? 'fail' : 'ok';
    ops.push({
      op: { f: entry.f, input: started.invoke.value, output: outcome === 'info' ? null : entry.value, outcome },
      call: started.call,
      ret: outcome === 'info' ? Infinity : position,
      required: outcome !== 'info',
    });
  });
  for (const { invoke, call } of open.values()) {
    ops.push({ op: { f: invoke.f, input: invoke.value, output: null, outcome: 'info' }, call, ret: Infinity, required: false });
  }
  const used = new Array<boolean>(ops.length).fill(false);
  const search = (state: unknown, remainingRequired: number): boolean => {
    if (remainingRequired === 0) return true;
    // An op may go next only if no op still to be placed returned before it was called.
    let earliestReturn = Infinity;
    ops.forEach((candidate, i) => {
      if (!used[i] && candidate.required) earliestReturn = Math.min(earliestReturn, candidate.ret);
    });
    for (let i = 0; i < ops.length; i++) {
      const candidate = ops[i] as BruteOp;
      if (used[i] || candidate.call > earliestReturn) continue;
      const next = model.step(state, candidate.op);
      if (next === undefined) continue;
      used[i] = true;
      const found = search(next, remainingRequired - (candidate.required ? 1 : 0));
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.initialState(), ops.filter((candidate) => candidate.required).length);
}

/** A step of a random schedule: a process starts an op, or finishes its open one. */
interface Step {
  process: number;
  start: boolean;
  f: number;
  a: number;
  b: number;
  outcome: number;
}

const stepArbitrary = fc.record({
  process: fc.integer({ min: 0, max: 2 }),
  start: fc.boolean(),
  f: fc.integer({ min: 0, max: 2 }),
  a: fc.integer({ min: -1, max: 2 }),
  b: fc.integer({ min: 0, max: 2 }),
  outcome: fc.integer({ min: 0, max: 9 }),
});

/** Register values: -1 stands for nil so reads of an absent register come up too. */
function registerValue(n: number): OpValue {
  return n < 0 ? null : n;
}

function buildHistory(steps: readonly Step[], kind: 'register' | 'mutex'): Op[] {
  const ops: Op[] = [];
  /** Per schedule slot, its current process id (a crash retires it, as Jepsen does) and open op. */
  const processIds = [0, 1, 2];
  const openOps = new Map<number, Op>();
  let nextProcess = 3;
  const push = (op: Omit<Op, 'index' | 'time'>) => ops.push({ ...op, index: ops.length, time: ops.length });
  for (const step of steps) {
    const process = processIds[step.process] as number;
    const open = openOps.get(step.process);
    if (step.start && !open) {
      const f = kind === 'mutex' ? (step.f === 0 ? 'acquire' : 'release') : (['read', 'write', 'cas'][step.f] as string);
      const value: OpValue = f === 'write' ? step.b : f === 'cas' ? [step.a < 0 ? 0 : step.a, step.b] : null;
      const invoke: Op = { type: 'invoke', f, value, process, index: ops.length, time: ops.length };
      ops.push(invoke);
      openOps.set(step.process, invoke);
    } else if (!step.start && open) {
      openOps.delete(step.process);
      // Mostly ok, sometimes fail or info; a read's result is random, so many histories are invalid.
      const type = step.outcome < 7 ? 'ok' : step.outcome < 8 ? 'fail' : 'info';
      const value = open.f === 'read' && type === 'ok' ? registerValue(step.a) : open.value;
      push({ type, f: open.f, value, process });
      if (type === 'info') processIds[step.process] = nextProcess++;
    }
  }
  return ops;
}

function agree(history: Op[], model: Model): void {
  const expected = bruteForce(history, model);
  for (const algorithm of ['linear', 'wgl', 'competition'] as const) {
    const result = checkLinearizability(history, { model, algorithm, timeLimitMs: 10_000 });
    assert.equal(result.valid, expected, `${algorithm} says ${String(result.valid)}, brute force ${String(expected)}`);
  }
}

test('random cas-register histories: linear, wgl, competition and brute force agree', () => {
  const models = [
    casRegisterModel() as Model,
    casRegisterModel({ nilReads: 'always-legal', initialValue: 0 }) as Model,
    casRegisterModel({ failedCas: 'observes-mismatch' }) as Model,
  ];
  fc.assert(
    fc.property(fc.array(stepArbitrary, { maxLength: 24 }), fc.integer({ min: 0, max: models.length - 1 }), (steps, modelIndex) => {
      agree(buildHistory(steps, 'register'), models[modelIndex] as Model);
    }),
    { numRuns: 400, seed: 20240601 },
  );
});

test('random mutex histories: linear, wgl, competition and brute force agree', () => {
  fc.assert(
    fc.property(fc.array(stepArbitrary, { maxLength: 24 }), (steps) => {
      agree(buildHistory(steps, 'mutex'), mutexModel());
    }),
    { numRuns: 300, seed: 20240602 },
  );
});

test('random histories find both verdicts, so the agreement is not vacuous', () => {
  const verdicts = new Set<boolean>();
  fc.assert(
    fc.property(fc.array(stepArbitrary, { maxLength: 24 }), (steps) => {
      verdicts.add(bruteForce(buildHistory(steps, 'register'), casRegisterModel()));
    }),
    { numRuns: 200, seed: 20240603 },
  );
  assert.deepEqual([...verdicts].sort(), [false, true]);
});
