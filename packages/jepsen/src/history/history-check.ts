/**
 * The verdict on a run's history by its workload's checker (linearizability for the
 * registers and the mutex, the set checker for sets), with what the store and the
 * timeline need: results.edn text, a one-line summary, and the ops to highlight.
 */
import { formatEdn } from '@minisql/checker';
import { readHistoryFile } from '@minisql/checker';
import { checkLinearizability, linearizabilityResultToEdn, validityToEdn, type LinearizabilityResult, type Validity } from '@minisql/checker';
import type { Model } from '@minisql/checker';
import type { Op } from '@minisql/checker';
import { checkSet } from '@minisql/checker';
import type { TestConfig } from '../test-config.js';
import type { TimelineHighlight } from '../store/timeline-page.js';
import type { Workload } from '../workload/workload.js';

export interface HistoryVerdict {
  valid: Validity;
  /** One line for the console and the timeline's subtitle. */
  summary: string;
  resultsEdn: string;
  /** Ops that show why the history is invalid. */
  highlight: TimelineHighlight[];
}

export async function checkHistory(workload: Workload, history: readonly Op[], checker: TestConfig['checker']): Promise<HistoryVerdict> {
  if (workload.checker.kind === 'set') {
    const result = checkSet(history, { readF: 'read-set' });
    const summary = `set: ${result.okCount} of ${result.attemptCount} adds read back, ${result.lostCount} acknowledged adds lost, ${result.unexpectedCount} unexpected`;
    const { valid, ...counts } = result;
    // Jepsen's set checker names its keys in kebab case (:attempt-count, :lost-count).
    const fields = Object.fromEntries(Object.entries(counts).map(([name, value]) => [name.replace(/[A-Z]/g, (upper) => `-${upper.toLowerCase()}`), value]));
    return { valid, summary, resultsEdn: formatEdn({ 'valid?': validityToEdn(valid), ...fields }), highlight: [] };
  }
  const result = checkLinearizability(history, {
    model: workload.checker.model,
    algorithm: checker.algorithm,
    timeLimitMs: checker.timeLimitSeconds * 1_000,
    perKey: true,
  });
  return linearizabilityVerdict(result);
}

export interface CheckFileOptions {
  /** A model, or its name for the default options. */
  model: Model | string;
  algorithm: string;
  timeLimitSeconds: number;
  perKey: boolean;
}

/** `minisql-jepsen check FILE`: a history from disk, by any model. */
export async function checkHistoryFile(path: string, options: CheckFileOptions): Promise<HistoryVerdict> {
  const history = readHistoryFile(path);
  const result = checkLinearizability(history, {
    model: options.model,
    algorithm: options.algorithm,
    timeLimitMs: options.timeLimitSeconds * 1_000,
    perKey: options.perKey,
  });
  return linearizabilityVerdict(result);
}

function linearizabilityVerdict(result: LinearizabilityResult): HistoryVerdict {
  const keys = result.perKey ? `${result.perKey.size} keys, ` : '';
  const timing = `${result.opCount} ops, ${keys}${Math.round(result.timeMs)} ms, ${result.analyzer}`;
  const highlight: TimelineHighlight[] = [];
  let summary: string;
  if (result.valid === true) summary = `linearizable (${result.model}; ${timing})`;
  else if (result.valid === 'unknown') summary = `unknown: ${result.reason ?? 'no reason given'} (${timing})`;
  else {
    const failure = result.failure;
    const where = result.key === undefined ? '' : ` on key ${String(result.key)}`;
    summary = `not linearizable${where} (${result.model}; ${timing})`;
    if (failure) {
      highlight.push({
        indexes: [failure.op.index],
        note: `cannot be linearized${where}: process ${String(failure.op.process)} ${failure.op.f} ${formatEdn(failure.op.value)}`,
      });
      if (failure.previousOk) highlight.push({ indexes: [failure.previousOk.index], note: 'the last ok operation before it' });
      const pathOps = new Set<number>();
      for (const path of failure.finalPaths) for (const step of path) if (step.op) pathOps.add(step.op.index);
      pathOps.delete(failure.op.index);
      if (pathOps.size > 0) highlight.push({ indexes: [...pathOps], note: 'operations on the final paths (orders that were tried)' });
    }
  }
  return { valid: result.valid, summary, resultsEdn: linearizabilityResultToEdn(result), highlight };
}

/** The verdict of a run that crashed before its history could be judged. */
export function crashedRunVerdict(error: unknown): HistoryVerdict {
  const reason = `the test crashed: ${String(error)}`;
  return { valid: 'unknown', summary: reason, resultsEdn: formatEdn({ 'valid?': validityToEdn('unknown'), error: String(error) }), highlight: [] };
}
