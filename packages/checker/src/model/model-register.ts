/**
 * Registers: `register` (read, write) and `cas-register` (read, write, cas [from to]).
 *
 * Two readings of a read that returns nil exist, and they give different verdicts:
 *
 * - `only-while-absent` (Porcupine's etcd model, our default): the register starts
 *   absent, and a read of nil is legal only while it is still absent. A stale read of a
 *   never-written key is caught. Our clients report a read they could not finish as
 *   fail or info, never as an ok nil, so nil always means "absent".
 * - `always-legal` (Knossos's `register` and `cas-register`): a read of nil passes in any
 *   state, because some Jepsen clients return nil when they do not know. Use it for
 *   histories written by such clients.
 *
 * A failed CAS is likewise read two ways: `no-effect` (Jepsen's meaning of fail, the
 * default: dropped, safe even when the CAS failed before reaching the database) or
 * `observes-mismatch` (Porcupine's etcd model: the CAS reached the register and found a
 * value other than `from`; needed for the corpus's verdicts).
 */
import { sameOpValue, showOpValue, opValueKey, type Model, type ModelOp } from './model.js';
import type { OpValue } from '../history/op.js';

export type NilReadRule = 'only-while-absent' | 'always-legal';
export const FAILED_CAS_RULES = ['no-effect', 'observes-mismatch'] as const;
export type FailedCasRule = (typeof FAILED_CAS_RULES)[number];

export interface RegisterOptions {
  /** The register's first value; default nil, meaning absent. */
  initialValue?: OpValue;
  /** How a read of nil is judged; default only-while-absent. */
  nilReads?: NilReadRule;
}

export interface CasRegisterOptions extends RegisterOptions {
  /** How a failed CAS is judged; default no-effect. */
  failedCas?: FailedCasRule;
}

/** The register state is its value; nil means absent. */
export type RegisterState = OpValue;

export function registerModel(options: RegisterOptions = {}): Model<RegisterState> {
  return new RegisterModel(
    'register',
    Object.freeze({ initialValue: options.initialValue ?? null, nilReads: options.nilReads ?? 'only-while-absent', failedCas: 'no-effect' }),
  );
}

export function casRegisterModel(options: CasRegisterOptions = {}): Model<RegisterState> {
  return new RegisterModel(
    'cas-register',
    Object.freeze({
      initialValue: options.initialValue ?? null,
      nilReads: options.nilReads ?? 'only-while-absent',
      failedCas: options.failedCas ?? 'no-effect',
    }),
  );
}

interface RegisterSettings {
  readonly initialValue: OpValue;
  readonly nilReads: NilReadRule;
  readonly failedCas: FailedCasRule;
}

class RegisterModel implements Model<RegisterState> {
  constructor(
    readonly name: 'register' | 'cas-register',
    private readonly settings: RegisterSettings,
  ) {}

  describe(): string {
    const parts = [`nil-reads ${this.settings.nilReads}`];
    if (this.name === 'cas-register') parts.push(`failed-cas ${this.settings.failedCas}`);
    if (this.settings.initialValue !== null) parts.push(`initial ${showOpValue(this.settings.initialValue)}`);
    return `${this.name} (${parts.join(', ')})`;
  }

  initialState(): RegisterState {
    return this.settings.initialValue;
  }

  step(state: RegisterState, op: ModelOp): RegisterState | undefined {
    switch (op.f) {
      case 'read':
        return this.readLegal(state, op.output) ? state : undefined;
      case 'write':
        return op.input;
      case 'cas': {
        const [from, to] = op.input as [OpValue, OpValue];
        const matches = sameOpValue(state, from);
        if (op.outcome === 'fail') return matches ? undefined : state;
        return matches ? to : undefined;
      }
      default:
        return undefined;
    }
  }

  private readLegal(state: RegisterState, read: OpValue): boolean {
    if (read === null) return this.settings.nilReads === 'always-legal' || state === null;
    return sameOpValue(state, read);
  }

  explainIllegal(state: RegisterState, op: ModelOp): string {
    switch (op.f) {
      case 'read':
        return `can't read ${showOpValue(op.output)} from register ${showOpValue(state)}`;
      case 'cas': {
        const [from, to] = op.input as [OpValue, OpValue];
        if (op.outcome === 'fail') return `a failed CAS from ${showOpValue(from)} must not find register ${showOpValue(state)}`;
        return `can't CAS ${showOpValue(state)} from ${showOpValue(from)} to ${showOpValue(to)}`;
      }
      default:
        return `${this.name} has no ${op.f}`;
    }
  }

  stateKey(state: RegisterState): string | number {
    return opValueKey(state);
  }

  stateToValue(state: RegisterState): unknown {
    return { value: state };
  }

  checkOp(op: ModelOp): string | undefined {
    if (op.f === 'read' || op.f === 'write') return undefined;
    if (op.f === 'cas' && this.name === 'cas-register') {
      if (!Array.isArray(op.input) || op.input.length !== 2) return `a cas needs [from to], found ${showOpValue(op.input)}`;
      return undefined;
    }
    return `${this.name} has no operation ${op.f}`;
  }

  isReadOnly(op: ModelOp): boolean {
    return op.f === 'read';
  }

  observesFailure(op: ModelOp): boolean {
    return op.f === 'cas' && this.settings.failedCas === 'observes-mismatch';
  }
}
