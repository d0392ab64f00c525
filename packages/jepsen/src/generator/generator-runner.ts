/**
 * The interpreter: asks the generator for operations, runs each on its thread (a client
 * worker or the nemesis), and records the invocation and the completion in the history.
 * Workers are asynchronous tasks on one event loop, not OS processes: a client operation
 * is I/O, so ten workers need no more than one thread (and the harness keeps its
 * thousands of operations a second, see bench/harness-bench.ts).
 *
 * A client operation that crashes (info) retires its process: the thread carries on as
 * a new process, `process + concurrency`, as in Jepsen, because the crashed operation
 * may still take effect at any later time.
 */
import type { GenContext, Generator, Thread } from './generator.js';
import { withDeadline } from '@minisql/common';
import { NEMESIS_PROCESS, type Op, type Process } from '@minisql/checker';
import { JepsenError } from '../jepsen-errors.js';

export interface OpRecorder {
  /** Appends an op, giving it its index and time; returns it. */
  record(op: Omit<Op, 'index' | 'time'>): Op;
}

export interface GeneratorRunnerOptions {
  generator: Generator;
  clientThreadCount: number;
  /** Whether a nemesis thread exists. */
  withNemesis: boolean;
  /** Runs a client op; resolves to its completion (ok, fail or info). */
  invokeClient(thread: number, op: Op): Promise<Op>;
  /**
   * Called after a client op crashed (info), before its thread runs again: the worker's
   * connection may be stuck, so Jepsen opens a new one. Errors are the caller's to log.
   */
  reopenClient?(thread: number): Promise<void>;
  /** Runs a nemesis op; resolves to its completion. */
  invokeNemesis(op: Op): Promise<Op>;
  recorder: OpRecorder;
  /** Nanoseconds since the test started. */
  clockNs(): number;
  random(): number;
  /** A client op with no answer after this long is recorded as info (timed-out). */
  opTimeoutMs: number;
  /** A nemesis op with no answer after this long is recorded as info. Default 120 s. */
  nemesisTimeoutMs?: number;
  /** Stop starting operations when this fires (Ctrl-C); those in flight are awaited. */
  signal?: AbortSignal;
  /** Stop starting operations at this time, whatever the generator says (a safety bound). */
  hardDeadlineNs?: number;
}

export interface GeneratorRunSummary {
  clientOps: number;
  nemesisOps: number;
  /** Why the run ended: the generator was done, the deadline passed, or it was interrupted. */
  endedBy: 'done' | 'deadline' | 'interrupted' | 'stuck';
}

export const NEMESIS_TIMEOUT_MS_DEFAULT = 120_000;

export async function runGenerator(options: GeneratorRunnerOptions): Promise<GeneratorRunSummary> {
  const threads: Thread[] = [...Array.from({ length: options.clientThreadCount }, (_, i) => i)];
  if (options.withNemesis) threads.push(NEMESIS_PROCESS);
  const busy = new Set<Thread>();
  const processOf = new Map<Thread, Process>(threads.map((thread) => [thread, thread]));
  const inFlight = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  const summary: GeneratorRunSummary = { clientOps: 0, nemesisOps: 0, endedBy: 'done' };

  const finish = async (thread: Thread, invoke: Op, completion: Op) => {
    const recorded = options.recorder.record({
      ...completion,
      process: invoke.process,
      f: invoke.f,
      ...(invoke.key === undefined ? {} : { key: invoke.key }),
    });
    if (thread !== NEMESIS_PROCESS && recorded.type === 'info') {
      processOf.set(thread, (processOf.get(thread) as number) + options.clientThreadCount);
      await options.reopenClient?.(thread).catch(() => undefined);
    }
    busy.delete(thread);
    options.generator.completed?.(thread, recorded);
    wake?.();
  };

  const start = (thread: Thread, invoke: Op) => {
    busy.add(thread);
    const isNemesis = thread === NEMESIS_PROCESS;
    const timeoutMs = isNemesis ? (options.nemesisTimeoutMs ?? NEMESIS_TIMEOUT_MS_DEFAULT) : options.opTimeoutMs;
    const work = isNemesis ? options.invokeNemesis(invoke) : options.invokeClient(thread, invoke);
    const task = withDeadline(work, timeoutMs, () => crashed(invoke, 'timed-out'))
      .catch((error: unknown) => crashed(invoke, errorText(error)))
      .then((completion) => finish(thread, invoke, completion));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  for (;;) {
    if (options.signal?.aborted) {
      summary.endedBy = 'interrupted';
      break;
    }
    const timeNs = options.clockNs();
    if (options.hardDeadlineNs !== undefined && timeNs >= options.hardDeadlineNs) {
      summary.endedBy = 'deadline';
      break;
    }
    const context: GenContext = {
      timeNs,
      freeThreads: threads.filter((thread) => !busy.has(thread)),
      allThreads: threads,
      random: options.random,
    };
    const step = options.generator.next(context);
    if (step.kind === 'done') break;
    if (step.kind === 'op') {
      if (busy.has(step.thread) || !processOf.has(step.thread)) {
        throw new JepsenError('GENERATOR_BUSY_THREAD', `the generator chose thread ${String(step.thread)}, which is not free`);
      }
      const invoke = options.recorder.record({
        type: 'invoke',
        f: step.template.f,
        value: step.template.value ?? null,
        process: processOf.get(step.thread)!,
        ...(step.template.key === undefined ? {} : { key: step.template.key }),
      });
      if (step.thread === NEMESIS_PROCESS) summary.nemesisOps++;
      else summary.clientOps++;
      start(step.thread, invoke);
      continue;
    }
    if (inFlight.size === 0 && step.untilNs === undefined) {
      // Every thread is free and the generator waits for nothing: it can never go on.
      summary.endedBy = 'stuck';
      break;
    }
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      wake = done;
      options.signal?.addEventListener('abort', done);
      let untilNs = step.untilNs;
      if (options.hardDeadlineNs !== undefined) untilNs = Math.min(untilNs ?? options.hardDeadlineNs, options.hardDeadlineNs);
      if (untilNs !== undefined) timer = setTimeout(done, Math.max(0, (untilNs - options.clockNs()) / 1e6));
    });
  }
  // Operations in flight finish by themselves or by their timeout.
  await Promise.all([...inFlight]);
  return summary;
}

function crashed(invoke: Op, error: string): Op {
  return { ...invoke, type: 'info', error };
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
