/**
 * The linearizability checker's front: split a history by key, check each key with the
 * chosen algorithm under one time limit, and combine the verdicts (P-compositionality:
 * a history of independent keys is linearizable exactly when each key's is).
 *
 * Limits never crash or hang a check: running out of time or of the configuration budget
 * answers `unknown` with a reason. Input that cannot be checked at all (ops that do not
 * pair up, an op the model does not know) throws a CheckerError.
 */
import { CheckerError } from '../errors.js';
import { CompetitionSearch } from './competition-checker.js';
import { formatEdn, Keyword } from '../history/edn.js';
import { analyzeFailure, type LinearizabilityFailure } from './failure-analysis.js';
import { opToEdnValue } from '../history/history-edn.js';
import { LinearSearch } from './linear-checker.js';
import type { LinearizationSearch, SearchOutcome } from './linearization-search.js';
import type { Model } from '../model/model.js';
import { ModelMemo } from '../model/model-memo.js';
import { multiKeyModel } from '../model/model-multi-key.js';
import { modelNamed } from '../model/models.js';
import { NEMESIS_PROCESS, type Op } from '../history/op.js';
import { prepareHistory, type PreparedHistory } from '../history/prepared-history.js';
import { WglSearch } from './wgl-checker.js';

/** Default time limit for a whole check, all keys together. */
export const DEFAULT_TIME_LIMIT_MS = 60_000;
/** Default budget for search configurations (estimated), per check. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;
/** Work units between looks at the clock: well under a millisecond of search. */
const WORK_SLICE = 4096;

export const LINEARIZABILITY_ALGORITHMS = ['competition', 'linear', 'wgl'] as const;
export type LinearizabilityAlgorithm = (typeof LINEARIZABILITY_ALGORITHMS)[number];

export interface LinearizabilityOptions {
  /** The model, or its name (register, cas-register, mutex, kv) for the default options. */
  model: Model | string;
  /** Default competition. */
  algorithm?: string;
  /** For the whole check, all keys together; default 60 s. Past it, unchecked keys are unknown. */
  timeLimitMs?: number;
  /** Budget for the searches' configurations, per key; default 512 MiB. Past it, unknown. */
  memoryLimitBytes?: number;
  /** Check each key (op.key) on its own; default true. Without keys, the history is one. */
  perKey?: boolean;
  /**
   * Keep checking the other keys after one is found not linearizable; default false: the
   * verdict is known, and the others are reported unknown ("not finished").
   */
  allKeys?: boolean;
}

export type Validity = true | false | 'unknown';

export interface LinearizabilityResult {
  valid: Validity;
  algorithm: LinearizabilityAlgorithm;
  /** The search that answered: for competition, the winner; mixed when keys differ; none for no search. */
  analyzer: 'linear' | 'wgl' | 'competition' | 'mixed' | 'none';
  /** The model with the options that change verdicts. */
  model: string;
  /** Client ops in the history checked (invocations and completions). */
  opCount: number;
  timeMs: number;
  /** Configurations the searches explored. */
  configCount: number;
  /** The key this result is for (per-key results), or the key that failed (whole results). */
  key?: string | number;
  /** Per key, its result, when the history was split by key. */
  perKey?: Map<string | number, LinearizabilityResult>;
  failure?: LinearizabilityFailure;
  /** Why the result is unknown. */
  reason?: string;
}

export function checkLinearizability(history: readonly Op[], options: LinearizabilityOptions): LinearizabilityResult {
  const startMs = performance.now();
  const model = typeof options.model === 'string' ? modelNamed(options.model) : options.model;
  const algorithm = parseAlgorithm(options.algorithm ?? 'competition');
  const limits: CheckLimits = {
    deadlineMs: startMs + (options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS),
    timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
    memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
  };
  const clientOps = history.filter((op) => op.process !== NEMESIS_PROCESS);
  const partitions = partitionByKey(clientOps);

  if (partitions === undefined || options.perKey === false) {
    const whole = partitions === undefined ? model : (multiKeyModel(model, [...partitions.keys()]) as Model);
    const check = new PartitionCheck(clientOps, whole, algorithm, limits, undefined);
    let result: LinearizabilityResult | undefined;
    while (result === undefined) result = check.advance(WORK_SLICE);
    return result;
  }

  const perKey = checkKeys(partitions, model, algorithm, limits, options.allKeys ?? false);
  const results = [...perKey.values()];
  const firstInvalid = results.find((result) => result.valid === false);
  const firstUnknown = results.find((result) => result.valid === 'unknown');
  const analyzers = new Set(results.map((result) => result.analyzer));
  const combined: LinearizabilityResult = {
    valid: firstInvalid ? false : firstUnknown ? 'unknown' : true,
    algorithm,
    analyzer: analyzers.size === 1 ? (results[0] as LinearizabilityResult).analyzer : analyzers.size === 0 ? 'none' : 'mixed',
    model: model.describe(),
    opCount: clientOps.length,
    timeMs: performance.now() - startMs,
    configCount: results.reduce((sum, result) => sum + result.configCount, 0),
    perKey,
  };
  if (firstInvalid) {
    combined.key = firstInvalid.key;
    if (firstInvalid.failure) combined.failure = firstInvalid.failure;
  } else if (firstUnknown) {
    const unknownCount = results.filter((result) => result.valid === 'unknown').length;
    combined.reason = `${unknownCount} of ${results.length} keys unknown; key ${String(firstUnknown.key)}: ${firstUnknown.reason ?? ''}`;
  }
  return combined;
}

interface CheckLimits {
  readonly deadlineMs: number;
  readonly timeLimitMs: number;
  readonly memoryLimitBytes: number;
}

/**
 * Checks the keys round-robin, a slice of work each in turn, as Porcupine checks its
 * partitions in parallel: an easy key finishes in its first turn, and one hard key cannot
 * starve the others. Unless `allKeys`, the first invalid key ends the check (the verdict
 * is known; the rest could take the whole time limit) and the keys still running are
 * reported unknown.
 */
function checkKeys(
  partitions: Map<string | number, Op[]>,
  model: Model,
  algorithm: LinearizabilityAlgorithm,
  limits: CheckLimits,
  allKeys: boolean,
): Map<string | number, LinearizabilityResult> {
  const perKey = new Map<string | number, LinearizabilityResult | undefined>();
  let running: PartitionCheck[] = [];
  for (const [key, ops] of partitions) {
    perKey.set(key, undefined);
    running.push(new PartitionCheck(ops, model, algorithm, limits, key));
  }
  let invalidKey: string | number | undefined;
  while (running.length > 0 && (invalidKey === undefined || allKeys)) {
    const stillRunning: PartitionCheck[] = [];
    for (const check of running) {
      const result = check.advance(WORK_SLICE);
      if (result === undefined) {
        stillRunning.push(check);
        continue;
      }
      perKey.set(check.key as string | number, result);
      if (result.valid === false && invalidKey === undefined) invalidKey = check.key;
    }
    running = stillRunning;
  }
  for (const check of running) {
    perKey.set(check.key as string | number, check.stop(`not finished: key ${String(invalidKey)} is not linearizable`));
  }
  return perKey as Map<string | number, LinearizabilityResult>;
}

function parseAlgorithm(name: string): LinearizabilityAlgorithm {
  if ((LINEARIZABILITY_ALGORITHMS as readonly string[]).includes(name)) return name as LinearizabilityAlgorithm;
  throw new CheckerError('ALGORITHM_UNKNOWN', `no algorithm named ${name}; algorithms are ${LINEARIZABILITY_ALGORITHMS.join(', ')}`);
}

/** Ops by key in order of first appearance, or undefined when no op has a key. */
function partitionByKey(ops: readonly Op[]): Map<string | number, Op[]> | undefined {
  if (!ops.some((op) => op.key !== undefined)) return undefined;
  const partitions = new Map<string | number, Op[]>();
  for (const op of ops) {
    if (op.key === undefined) throw new CheckerError('HISTORY_MALFORMED', `op ${op.index} has no key while other ops have keys`);
    let partition = partitions.get(op.key);
    if (!partition) {
      partition = [];
      partitions.set(op.key, partition);
    }
    partition.push(op);
  }
  return partitions;
}

/** One history (or one key's) being checked: prepared at its first turn, then searched slice by slice. */
class PartitionCheck {
  private search: LinearizationSearch | undefined;
  private prepared: PreparedHistory | undefined;
  private memo: ModelMemo | undefined;
  /** Time spent in this check's turns. */
  private elapsedMs = 0;

  constructor(
    private readonly ops: readonly Op[],
    private readonly model: Model,
    private readonly algorithm: LinearizabilityAlgorithm,
    private readonly limits: CheckLimits,
    readonly key: string | number | undefined,
  ) {}

  /** One turn: the result when there is one. */
  advance(workMax: number): LinearizabilityResult | undefined {
    const turnStartMs = performance.now();
    if (turnStartMs > this.limits.deadlineMs) return this.stop(`time limit of ${this.limits.timeLimitMs} ms reached`);
    if (!this.search) {
      this.prepared = prepareHistory(this.ops, this.model);
      this.memo = new ModelMemo(this.model, this.prepared.classes);
      this.search = createSearch(this.algorithm, this.prepared, this.memo, this.limits.memoryLimitBytes);
    }
    const outcome = this.search.advance(workMax);
    this.elapsedMs += performance.now() - turnStartMs;
    return outcome === undefined ? undefined : this.finish(outcome);
  }

  /** Ends the check unfinished, with `reason`. */
  stop(reason: string): LinearizabilityResult {
    return this.finish({ kind: 'unknown', analyzer: this.search?.algorithm ?? this.algorithm, reason });
  }

  private finish(outcome: SearchOutcome): LinearizabilityResult {
    const finishStartMs = performance.now();
    const result: LinearizabilityResult = {
      valid: outcome.kind === 'valid' ? true : outcome.kind === 'invalid' ? false : 'unknown',
      algorithm: this.algorithm,
      analyzer: outcome.analyzer,
      model: this.model.describe(),
      opCount: this.ops.length,
      timeMs: 0,
      configCount: this.search?.configCount ?? 0,
    };
    if (this.key !== undefined) result.key = this.key;
    if (outcome.kind === 'invalid')
      result.failure = analyzeFailure(this.prepared as PreparedHistory, this.memo as ModelMemo, outcome.failingOp, outcome.frontier);
    if (outcome.kind === 'unknown') result.reason = outcome.reason;
    result.timeMs = this.elapsedMs + (performance.now() - finishStartMs);
    return result;
  }
}

function createSearch(algorithm: LinearizabilityAlgorithm, prepared: PreparedHistory, memo: ModelMemo, memoryLimitBytes: number): LinearizationSearch {
  switch (algorithm) {
    case 'linear':
      return new LinearSearch(prepared, memo, memoryLimitBytes);
    case 'wgl':
      return new WglSearch(prepared, memo, memoryLimitBytes);
    case 'competition':
      // The racers share the budget, as they share the machine.
      return new CompetitionSearch([new LinearSearch(prepared, memo, memoryLimitBytes / 2), new WglSearch(prepared, memo, memoryLimitBytes / 2)]);
  }
}

/**
 * The result as EDN for results.edn, in Knossos's and Jepsen's shape:
 * `{:valid? false, :analyzer :wgl, :model "...", :op {...}, :previous-ok {...},
 * :final-paths [...], :configs [...]}`; per-key results under `:results` with the failing
 * keys under `:failures`, as Jepsen's independent checker writes them.
 */
/** `:valid?` as Jepsen writes it: true, false, or the keyword :unknown. */
export function validityToEdn(valid: Validity): boolean | Keyword {
  return valid === 'unknown' ? Keyword.of('unknown') : valid;
}

export function linearizabilityResultToEdn(result: LinearizabilityResult): string {
  return formatEdn(resultToEdnValue(result));
}

function resultToEdnValue(result: LinearizabilityResult): Record<string, unknown> {
  const value: Record<string, unknown> = {
    'valid?': validityToEdn(result.valid),
    algorithm: Keyword.of(result.algorithm),
    analyzer: Keyword.of(result.analyzer),
    model: result.model,
    'op-count': result.opCount,
    'time-ms': Math.round(result.timeMs * 1000) / 1000,
    'config-count': result.configCount,
    key: result.key,
    reason: result.reason,
  };
  if (result.failure) {
    const failure = result.failure;
    value.op = opToEdnValue(failure.op);
    value['previous-ok'] = failure.previousOk ? opToEdnValue(failure.previousOk) : null;
    value['final-paths'] = failure.finalPaths.map((path) => path.map((step) => ({ op: step.op ? opToEdnValue(step.op) : null, model: step.model })));
    value.configs = failure.configs.map((config) => ({ model: config.model, pending: config.pending.map(opToEdnValue) }));
  }
  if (result.perKey) {
    value.results = new Map([...result.perKey].map(([key, keyResult]) => [key, resultToEdnValue(keyResult)]));
    value.failures = [...result.perKey].filter(([, keyResult]) => keyResult.valid === false).map(([key]) => key);
  }
  return value;
}
