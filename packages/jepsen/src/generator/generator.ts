/**
 * Generators say which operation to run next, on which thread, and when; the interpreter
 * (generator-runner.ts) asks them in a loop. They compose like Jepsen's: `mix`, `stagger`,
 * `limit`, `timeLimit`, `phases`, `eachThread`, `clients`, `nemesis`, `any`, `cycle`,
 * `independentKeys`.
 *
 * Unlike Jepsen's immutable generators these are objects with state, asked by one
 * interpreter: simpler to write in TypeScript, and nothing here needs to fork a
 * generator. `untilOk` is Jepsen's until-ok. Every generator is bounded by a limit or a time limit around it; `cycle`
 * on its own never ends, which is why the runner always wraps the whole in `timeLimit`.
 */
import { NEMESIS_PROCESS, type Op, type OpValue } from '@minisql/checker';

/** A worker: client threads are 0..n-1; the nemesis has its own. */
export type Thread = number | typeof NEMESIS_PROCESS;

export interface GenContext {
  /** Nanoseconds since the test started. */
  readonly timeNs: number;
  /** Threads with no operation in flight. */
  readonly freeThreads: readonly Thread[];
  /** Every thread this generator may use (client threads and the nemesis). */
  readonly allThreads: readonly Thread[];
  /** Uniform in [0, 1), seeded for the test. */
  readonly random: () => number;
}

/** What to run; the runner adds type, process, time and index. */
export interface OpTemplate {
  f: string;
  value?: OpValue;
  key?: string | number;
}

export type GenStep =
  | { kind: 'op'; thread: Thread; template: OpTemplate }
  /** Nothing now: ask again when a thread frees up, or at `untilNs` if given. */
  | { kind: 'pending'; untilNs?: number }
  | { kind: 'done' };

export interface Generator {
  next(context: GenContext): GenStep;
  /** Told when an operation this generator emitted has completed. */
  completed?(thread: Thread, op: Op): void;
}

const PENDING: GenStep = { kind: 'pending' };
const DONE: GenStep = { kind: 'done' };
const NS_PER_SECOND = 1e9;

function pickThread(context: GenContext): Thread | undefined {
  const free = context.freeThreads;
  if (free.length === 0) return undefined;
  return free[Math.floor(context.random() * free.length)];
}

function withThreads(context: GenContext, keep: (thread: Thread) => boolean): GenContext {
  return {
    timeNs: context.timeNs,
    random: context.random,
    freeThreads: context.freeThreads.filter(keep),
    allThreads: context.allThreads.filter(keep),
  };
}

/**
 * Which child emitted each thread's operation in flight (a thread runs one at a time),
 * so that its completion goes back to that child alone. A combinator that told every
 * child, or whichever child is current, let an add that completed late in one phase
 * count as the final read of the next (untilOk saw an ok that was not its own).
 */
class Emitters {
  private readonly byThread = new Map<Thread, Generator>();

  /** Returns `step`, noting `generator` as the emitter when it is an operation. */
  note(step: GenStep, generator: Generator): GenStep {
    if (step.kind === 'op') this.byThread.set(step.thread, generator);
    return step;
  }

  completed(thread: Thread, op: Op): void {
    const emitter = this.byThread.get(thread);
    this.byThread.delete(thread);
    emitter?.completed?.(thread, op);
  }
}

/** The earlier of two optional wake-up times. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** Calls `make` for every operation, forever; on a free thread chosen at random. */
export function repeatedly(make: (context: GenContext) => OpTemplate): Generator {
  return {
    next(context) {
      const thread = pickThread(context);
      if (thread === undefined) return PENDING;
      return { kind: 'op', thread, template: make(context) };
    },
  };
}

/** One operation. */
export function once(template: OpTemplate): Generator {
  let emitted = false;
  return {
    next(context) {
      if (emitted) return DONE;
      const thread = pickThread(context);
      if (thread === undefined) return PENDING;
      emitted = true;
      return { kind: 'op', thread, template };
    },
  };
}

/** Each operation from one of `generators` chosen at random; done when all are. */
export function mix(generators: Generator[]): Generator {
  const live = [...generators];
  const emitters = new Emitters();
  return {
    next(context) {
      while (live.length > 0) {
        const index = Math.floor(context.random() * live.length);
        const chosen = live[index]!;
        const step = chosen.next(context);
        if (step.kind === 'done') {
          live.splice(index, 1);
          continue;
        }
        return emitters.note(step, chosen);
      }
      return DONE;
    },
    completed: (thread, op) => emitters.completed(thread, op),
  };
}

/** At most `count` operations. */
export function limit(count: number, generator: Generator): Generator {
  let emitted = 0;
  return {
    next(context) {
      if (emitted >= count) return DONE;
      const step = generator.next(context);
      if (step.kind === 'op') emitted++;
      return step;
    },
    completed: (thread, op) => generator.completed?.(thread, op),
  };
}

/**
 * Operations from `generator` until `count` of them have crashed (completed info). A
 * crashed op stays open forever in the checker's eyes, and every open op multiplies the
 * configurations a search may have to visit: a key that retires after a few crashes keeps
 * its check small however long a partition lasts.
 */
export function untilCrashes(count: number, generator: Generator): Generator {
  let crashes = 0;
  return {
    next(context) {
      return crashes >= count ? DONE : generator.next(context);
    },
    completed(thread, op) {
      if (op.type === 'info') crashes++;
      generator.completed?.(thread, op);
    },
  };
}

/**
 * Operations from `generator` until one of them completes ok (Jepsen's until-ok): a
 * final read retried through a recovery that takes longer than one attempt.
 */
export function untilOk(generator: Generator): Generator {
  let succeeded = false;
  return {
    next(context) {
      return succeeded ? DONE : generator.next(context);
    },
    completed(thread, op) {
      if (op.type === 'ok') succeeded = true;
      generator.completed?.(thread, op);
    },
  };
}

/** Operations until `seconds` after the first request. */
export function timeLimit(seconds: number, generator: Generator): Generator {
  let deadlineNs: number | undefined;
  return {
    next(context) {
      deadlineNs ??= context.timeNs + seconds * NS_PER_SECOND;
      if (context.timeNs >= deadlineNs) return DONE;
      const step = generator.next(context);
      if (step.kind === 'pending') return { kind: 'pending', untilNs: earliest(step.untilNs, deadlineNs) };
      return step;
    },
    completed: (thread, op) => generator.completed?.(thread, op),
  };
}

/**
 * Spaces operations by a random interval, uniform in [0, 2 × seconds): on average one
 * every `seconds` across all threads, as Jepsen's stagger (pyjepsen's `stagger 1`).
 */
export function stagger(seconds: number, generator: Generator): Generator {
  return spaced(generator, (random) => random() * 2 * seconds * NS_PER_SECOND);
}

/** One operation every `seconds` exactly. */
export function delay(seconds: number, generator: Generator): Generator {
  return spaced(generator, () => seconds * NS_PER_SECOND);
}

function spaced(generator: Generator, gapNs: (random: () => number) => number): Generator {
  let nextAtNs: number | undefined;
  return {
    next(context) {
      nextAtNs ??= context.timeNs;
      if (context.timeNs < nextAtNs) return { kind: 'pending', untilNs: nextAtNs };
      const step = generator.next(context);
      if (step.kind === 'op') {
        // Measured from the schedule, not from now, so a slow loop does not lower the rate;
        // but never more than one gap behind, so a stall does not cause a burst.
        nextAtNs = Math.max(nextAtNs + gapNs(context.random), context.timeNs - gapNs(context.random));
      }
      return step;
    },
    completed: (thread, op) => generator.completed?.(thread, op),
  };
}

/** No operations for `seconds`, then done. */
export function sleep(seconds: number): Generator {
  let untilNs: number | undefined;
  return {
    next(context) {
      untilNs ??= context.timeNs + seconds * NS_PER_SECOND;
      return context.timeNs >= untilNs ? DONE : { kind: 'pending', untilNs };
    },
  };
}

/** The generators one after another, each after the previous is done. */
export function sequence(generators: Generator[]): Generator {
  let index = 0;
  const emitters = new Emitters();
  return {
    next(context) {
      while (index < generators.length) {
        const step = generators[index]!.next(context);
        if (step.kind !== 'done') return emitters.note(step, generators[index]!);
        index++;
      }
      return DONE;
    },
    completed: (thread, op) => emitters.completed(thread, op),
  };
}

/** A fresh generator from `make` each time the previous one is done; never ends by itself. */
export function cycle(make: () => Generator, maxCycles = Number.MAX_SAFE_INTEGER): Generator {
  let current = make();
  let cycles = 1;
  const emitters = new Emitters();
  return {
    next(context) {
      // Bounded: a generator that is done at once (empty) must not spin forever.
      for (let attempts = 0; attempts < 2; attempts++) {
        const step = current.next(context);
        if (step.kind !== 'done') return emitters.note(step, current);
        if (cycles >= maxCycles) return DONE;
        current = make();
        cycles++;
      }
      return PENDING;
    },
    completed: (thread, op) => emitters.completed(thread, op),
  };
}

/**
 * Phases: each generator runs until it is done and every operation it started has
 * completed; only then does the next begin (Jepsen's `phases`, e.g. a final read after
 * the main workload).
 */
export function phases(generators: Generator[]): Generator {
  let index = 0;
  let inFlight = 0;
  const emitters = new Emitters();
  return {
    next(context) {
      while (index < generators.length) {
        const step = generators[index]!.next(context);
        if (step.kind === 'op') {
          inFlight++;
          return emitters.note(step, generators[index]!);
        }
        if (step.kind === 'pending') return step;
        if (inFlight > 0) return PENDING;
        index++;
      }
      return DONE;
    },
    completed(thread, op) {
      inFlight = Math.max(0, inFlight - 1);
      emitters.completed(thread, op);
    },
  };
}

/** Only client threads. */
export function clients(generator: Generator): Generator {
  return restrictTo(generator, (thread) => thread !== NEMESIS_PROCESS);
}

/** Only the nemesis thread. */
export function nemesis(generator: Generator): Generator {
  return restrictTo(generator, (thread) => thread === NEMESIS_PROCESS);
}

function restrictTo(generator: Generator, keep: (thread: Thread) => boolean): Generator {
  return {
    next: (context) => generator.next(withThreads(context, keep)),
    completed(thread, op) {
      if (keep(thread)) generator.completed?.(thread, op);
    },
  };
}

/**
 * Runs all generators side by side (Jepsen's `any`, how a client workload and a
 * nemesis schedule run together): each is asked in turn; done when all are.
 */
export function any(generators: Generator[]): Generator {
  const done = generators.map(() => false);
  let start = 0;
  const emitters = new Emitters();
  return {
    next(context) {
      let untilNs: number | undefined;
      for (let offset = 0; offset < generators.length; offset++) {
        const index = (start + offset) % generators.length;
        if (done[index]) continue;
        const step = generators[index]!.next(context);
        if (step.kind === 'op') {
          // The next request starts with the following generator, so none starves.
          start = (index + 1) % generators.length;
          return emitters.note(step, generators[index]!);
        }
        if (step.kind === 'done') done[index] = true;
        else untilNs = earliest(untilNs, step.untilNs);
      }
      if (done.every(Boolean)) return DONE;
      return untilNs === undefined ? PENDING : { kind: 'pending', untilNs };
    },
    completed: (thread, op) => emitters.completed(thread, op),
  };
}

/** Every thread runs its own generator from `make` (e.g. each thread's final read). */
export function eachThread(make: (thread: Thread) => Generator): Generator {
  const perThread = new Map<Thread, Generator>();
  const finished = new Set<Thread>();
  return {
    next(context) {
      let untilNs: number | undefined;
      for (const thread of context.allThreads) {
        if (!perThread.has(thread)) perThread.set(thread, make(thread));
      }
      for (const thread of context.freeThreads) {
        if (finished.has(thread)) continue;
        const step = perThread.get(thread)!.next(withThreads(context, (other) => other === thread));
        if (step.kind === 'op') return step;
        if (step.kind === 'done') finished.add(thread);
        else untilNs = earliest(untilNs, step.untilNs);
      }
      if (context.allThreads.every((thread) => finished.has(thread))) return DONE;
      return untilNs === undefined ? PENDING : { kind: 'pending', untilNs };
    },
    completed(thread, op) {
      perThread.get(thread)?.completed?.(thread, op);
    },
  };
}

export interface IndependentKeysOptions {
  /** Threads that work one key together; the client threads are split into groups of this size. */
  threadsPerKey: number;
  /** The first key's number; keys count up from it. */
  firstKey?: number;
}

/**
 * Independent keys (Jepsen's `independent/concurrent-generator`): the client threads
 * are split into groups; each group works one key with a generator from `make(key)`,
 * and when that generator is done the group moves to the next unused key. Every
 * operation carries its key, so the checker can check keys one by one.
 */
export function independentKeys(options: IndependentKeysOptions, make: (key: number) => Generator): Generator {
  let nextKey = options.firstKey ?? 0;
  const groups = new Map<number, { key: number; generator: Generator }>();
  /** Every key's generator, so a completion that arrives after its group moved on still finds it. */
  const byKey = new Map<number, Generator>();
  const groupOf = (thread: Thread): number => (thread === NEMESIS_PROCESS ? -1 : Math.floor(thread / options.threadsPerKey));
  const open = (group: number) => {
    const key = nextKey++;
    const state = { key, generator: make(key) };
    groups.set(group, state);
    byKey.set(key, state.generator);
    return state;
  };
  return {
    next(context) {
      let untilNs: number | undefined;
      const groupIds = [...new Set(context.freeThreads.map(groupOf))].filter((group) => group >= 0);
      for (const group of groupIds) {
        let state = groups.get(group) ?? open(group);
        const groupContext = withThreads(context, (thread) => groupOf(thread) === group);
        let step = state.generator.next(groupContext);
        if (step.kind === 'done') {
          state = open(group);
          step = state.generator.next(groupContext);
        }
        if (step.kind === 'op') return { ...step, template: { ...step.template, key: state.key } };
        if (step.kind === 'pending') untilNs = earliest(untilNs, step.untilNs);
      }
      return untilNs === undefined ? PENDING : { kind: 'pending', untilNs };
    },
    completed(thread, op) {
      if (typeof op.key !== 'number') return;
      byKey.get(op.key)?.completed?.(thread, op);
    },
  };
}
