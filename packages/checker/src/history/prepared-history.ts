/**
 * A history made ready for the searches, the same for every algorithm:
 *
 * - Invocations are paired with their completions by process. Nemesis ops are left out.
 * - `fail` ops did not happen and are dropped, unless the model observes that failure
 *   (a failed CAS in Porcupine's reading), in which case they must be linearized.
 * - `info` ops, and invocations the history never completes, crashed: they may take
 *   effect at any point after their invocation, or never. A crashed op that cannot change
 *   the state (a read) is dropped, since nothing could tell whether it happened.
 * - Ops get integer ids, the required ones (ok, observed fail) first in the order of their
 *   completions, then the crashed ones. Knossos's WGL numbers them the same way, so that
 *   "the longest run of linearized ids from 0" is how far a search got through the
 *   history; the failure report is built on it.
 * - Each distinct model operation becomes an op class, for the memoized model.
 */
import { CheckerError } from '../errors.js';
import type { Model, ModelOp, ModelOutcome } from '../model/model.js';
import { NEMESIS_PROCESS, type Op, type Process } from './op.js';

export interface PreparedOp {
  readonly id: number;
  readonly invoke: Op;
  /** The completion; undefined for an invocation the history never completes. */
  readonly completion: Op | undefined;
  readonly modelOp: ModelOp;
  /** True when the op must be linearized (ok, observed fail); false when it crashed. */
  readonly required: boolean;
  /** Positions in `PreparedHistory.history`; returnPosition is -1 for a crashed op. */
  readonly callPosition: number;
  readonly returnPosition: number;
}

export interface PreparedHistory {
  /** The client ops of the history, in order: positions refer to this. */
  readonly history: readonly Op[];
  /** Ops by id: ids below requiredCount are required, in order of completion. */
  readonly ops: readonly PreparedOp[];
  readonly requiredCount: number;
  /** The op class of each op id, and the classes themselves (for ModelMemo). */
  readonly opClass: Int32Array;
  readonly classes: readonly ModelOp[];
  /**
   * The calls and returns in history order: per event, the op id, and 1 for a return.
   * Crashed ops have a call and no return.
   */
  readonly eventOp: Int32Array;
  readonly eventIsReturn: Uint8Array;
  /** Per op id, its call event and its return event (-1 for crashed ops). */
  readonly callEvent: Int32Array;
  readonly returnEvent: Int32Array;
  /**
   * Per op id, for a crashed op: the crashed op of the same class invoked just before it,
   * or -1 (always -1 for required ops). Crashed ops of one class are interchangeable: any
   * linearization using a later one at some point could use the earlier one there instead
   * (it was invoked before, and neither ever returns). So the searches linearize the
   * crashed ops of a class only in invocation order, which prunes every permutation of
   * equal crashed writes without losing a linearization.
   */
  readonly sameClassBefore: Int32Array;
  /** The most ops open (invoked, not returned) at once: crashed ops stay open. */
  readonly openMax: number;
  /** Client ops dropped: failures, crashed reads. */
  readonly droppedCount: number;
}

interface Pairing {
  invoke: Op;
  callPosition: number;
  completion: Op | undefined;
  returnPosition: number;
}

export function prepareHistory(fullHistory: readonly Op[], model: Model): PreparedHistory {
  const history = fullHistory.filter((op) => op.process !== NEMESIS_PROCESS);
  const pairings = pairOps(history);

  const required: Array<{ pairing: Pairing; modelOp: ModelOp }> = [];
  const crashed: Array<{ pairing: Pairing; modelOp: ModelOp }> = [];
  let droppedCount = 0;
  for (const pairing of pairings) {
    const completion = pairing.completion;
    const outcome: ModelOutcome = completion === undefined || completion.type === 'info' ? 'info' : completion.type === 'fail' ? 'fail' : 'ok';
    const modelOp: ModelOp = {
      f: pairing.invoke.f,
      input: pairing.invoke.value,
      output: outcome === 'info' ? null : (completion as Op).value,
      outcome,
      ...(pairing.invoke.key === undefined ? {} : { key: pairing.invoke.key }),
    };
    const unsupported = model.checkOp(modelOp);
    if (unsupported !== undefined) {
      throw new CheckerError('OPERATION_UNSUPPORTED', `op ${pairing.invoke.index} (${pairing.invoke.f}): ${unsupported}`);
    }
    if (outcome === 'fail' && !model.observesFailure(modelOp)) {
      droppedCount += 2;
    } else if (outcome === 'info') {
      if (model.isReadOnly(modelOp)) {
        droppedCount += completion === undefined ? 1 : 2;
      } else {
        crashed.push({ pairing, modelOp });
        pairing.returnPosition = -1;
      }
    } else {
      required.push({ pairing, modelOp });
    }
  }
  required.sort((a, b) => a.pairing.returnPosition - b.pairing.returnPosition);
  crashed.sort((a, b) => a.pairing.callPosition - b.pairing.callPosition);

  const ops: PreparedOp[] = [];
  const classIds = new Map<string, number>();
  const classes: ModelOp[] = [];
  const opClass = new Int32Array(required.length + crashed.length);
  for (const { pairing, modelOp } of [...required, ...crashed]) {
    const id = ops.length;
    ops.push({
      id,
      invoke: pairing.invoke,
      completion: pairing.completion,
      modelOp,
      required: id < required.length,
      callPosition: pairing.callPosition,
      returnPosition: pairing.returnPosition,
    });
    const classKey = JSON.stringify([modelOp.f, modelOp.input, modelOp.output, modelOp.outcome, modelOp.key ?? null]);
    let classId = classIds.get(classKey);
    if (classId === undefined) {
      classId = classes.length;
      classes.push(modelOp);
      classIds.set(classKey, classId);
    }
    opClass[id] = classId;
  }

  const sameClassBefore = new Int32Array(ops.length).fill(-1);
  const lastCrashedOfClass = new Map<number, number>();
  for (let id = required.length; id < ops.length; id++) {
    const classId = opClass[id] as number;
    const before = lastCrashedOfClass.get(classId);
    if (before !== undefined) sameClassBefore[id] = before;
    lastCrashedOfClass.set(classId, id);
  }

  // Events in history order: a call at its invocation, a return at its completion.
  const codeAtPosition = new Int32Array(history.length).fill(-1);
  for (const op of ops) {
    codeAtPosition[op.callPosition] = op.id * 2;
    if (op.required) codeAtPosition[op.returnPosition] = op.id * 2 + 1;
  }
  const eventCount = ops.length + required.length;
  const eventOp = new Int32Array(eventCount);
  const eventIsReturn = new Uint8Array(eventCount);
  const callEvent = new Int32Array(ops.length);
  const returnEvent = new Int32Array(ops.length).fill(-1);
  let event = 0;
  let open = 0;
  let openMax = 0;
  for (let position = 0; position < history.length; position++) {
    const code = codeAtPosition[position] as number;
    if (code < 0) continue;
    const id = code >> 1;
    const isReturn = code & 1;
    eventOp[event] = id;
    eventIsReturn[event] = isReturn;
    if (isReturn) {
      returnEvent[id] = event;
      open--;
    } else {
      callEvent[id] = event;
      open++;
      if (open > openMax) openMax = open;
    }
    event++;
  }

  return {
    history,
    ops,
    requiredCount: required.length,
    opClass,
    classes,
    eventOp,
    eventIsReturn,
    callEvent,
    returnEvent,
    sameClassBefore,
    openMax,
    droppedCount,
  };
}

/**
 * Pairs each invocation with the next op of its process. A completion with no invocation
 * is malformed, except an info (Jepsen logs lone infos); an invocation while the process
 * still has one open is malformed too: a process runs one op at a time.
 */
function pairOps(history: readonly Op[]): Pairing[] {
  const pairings: Pairing[] = [];
  const openByProcess = new Map<Process, Pairing>();
  history.forEach((op, position) => {
    const open = openByProcess.get(op.process);
    if (op.type === 'invoke') {
      if (open) {
        throw new CheckerError('HISTORY_MALFORMED', `process ${String(op.process)} invoked op ${op.index} while its op ${open.invoke.index} had not completed`);
      }
      const pairing: Pairing = { invoke: op, callPosition: position, completion: undefined, returnPosition: -1 };
      pairings.push(pairing);
      openByProcess.set(op.process, pairing);
      return;
    }
    if (!open) {
      if (op.type === 'info') return;
      throw new CheckerError('HISTORY_MALFORMED', `op ${op.index} (${op.type} ${op.f}) completes nothing: process ${String(op.process)} had no op open`);
    }
    if (open.invoke.f !== op.f) {
      throw new CheckerError(
        'HISTORY_MALFORMED',
        `op ${op.index} completes ${op.f} but process ${String(op.process)} invoked ${open.invoke.f} (op ${open.invoke.index})`,
      );
    }
    open.completion = op;
    open.returnPosition = position;
    openByProcess.delete(op.process);
  });
  return pairings;
}
