/**
 * The contract between the linearizability checkers and the sequential specification
 * they check a history against (Knossos's `Model`, Porcupine's `Model`). A model is pure:
 * `step` never mutates a state, so the checkers can keep states in caches and return to
 * them when they backtrack.
 */
import type { OpValue } from '../history/op.js';

/** How an op ended, as the model sees it (an `invoke` without completion counts as `info`). */
export type ModelOutcome = 'ok' | 'fail' | 'info';

/** One operation as the model applies it: what was asked, and what was observed. */
export interface ModelOp {
  readonly f: string;
  /** The invocation's value: what was asked (a write's value, a CAS's [from to]). */
  readonly input: OpValue;
  /** The completion's value: what was observed (a read's result). null when the op crashed. */
  readonly output: OpValue;
  /**
   * ok: it took effect. fail: it did not, and the model asked to see it (see
   * observesFailure). info: it crashed and may have taken effect or not; its output is
   * unknown, so a model must decide with `input` alone.
   */
  readonly outcome: ModelOutcome;
  /** The independent key the op acts on, for models that hold many keys. */
  readonly key?: string | number;
}

export interface Model<State = unknown> {
  /** The name config files use: register, cas-register, mutex, kv. */
  readonly name: string;
  /** The name and the options that change verdicts, for reports. */
  describe(): string;
  initialState(): State;
  /** The state after `op`, or undefined when `op` cannot happen in `state`. Never mutates. */
  step(state: State, op: ModelOp): State | undefined;
  /** Why `op` cannot happen in `state`, in words, for the final paths of a report. */
  explainIllegal(state: State, op: ModelOp): string;
  /** Equal for equal states and different otherwise: the checkers' caches are keyed by it. */
  stateKey(state: State): string | number;
  /** The state as a value for reports (written as EDN), e.g. `{value: 3}`. */
  stateToValue(state: State): unknown;
  /** Why the model cannot check `op` at all (unknown f, wrong value shape), or undefined. */
  checkOp(op: ModelOp): string | undefined;
  /**
   * True when `op` never changes the state. A crashed op of this kind is dropped before
   * the search: whether or not it happened, nothing could tell.
   */
  isReadOnly(op: ModelOp): boolean;
  /**
   * True when a failed `op` still constrains the history, because the failure itself is
   * an observation (a CAS that failed saw another value). Other failed ops are dropped:
   * in Jepsen, `fail` means the op certainly did not happen.
   */
  observesFailure(op: ModelOp): boolean;
}

/** Value equality for Op values: primitives by identity, vectors element by element. */
export function sameOpValue(a: OpValue, b: OpValue): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameOpValue(a[i] as OpValue, b[i] as OpValue)) return false;
  return true;
}

/** A key for an Op value: numbers as themselves, everything else as JSON, never colliding. */
export function opValueKey(value: OpValue): string | number {
  return typeof value === 'number' ? value : JSON.stringify(value);
}

/** An Op value as Jepsen prints it in messages: nil, 3, [1 2], "text". */
export function showOpValue(value: OpValue): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `[${value.map(showOpValue).join(' ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
