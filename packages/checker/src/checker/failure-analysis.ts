/**
 * What a reader needs to see why a history is not linearizable, as Knossos reports it:
 * the op that cannot be linearized (its completion), the last ok op before it, the
 * configurations the search was in just before, and a few final paths: from such a
 * configuration, the orders in which the ops still open could be applied, each ending at
 * the step the model refuses.
 */
import type { FrontierConfig } from './linearization-search.js';
import type { Model } from '../model/model.js';
import { ILLEGAL_STATE, type ModelMemo } from '../model/model-memo.js';
import type { Op } from '../history/op.js';
import type { PreparedHistory, PreparedOp } from '../history/prepared-history.js';

/** Final paths reported, as Knossos reports a few. */
const FINAL_PATHS_MAX = 10;
/** Configurations reported. */
const FAILURE_CONFIGS_MAX = 10;
/** Open ops considered per configuration; orders of more are too many to be read. */
const PATH_OPS_MAX = 12;
/** Path search nodes per configuration, so a wide frontier cannot stall the report. */
const PATH_NODES_MAX = 2000;

/** One step of a final path: an op, and the model after it (or `{msg}` when it was refused). */
export interface FinalPathStep {
  /** null for the first step, which only shows the starting state. */
  readonly op: Op | null;
  readonly model: unknown;
}

export interface FailureConfig {
  /** The model state. */
  readonly model: unknown;
  /** Ops invoked before the failing completion and not linearized in this configuration. */
  readonly pending: readonly Op[];
}

export interface LinearizabilityFailure {
  /** The completion of the op that cannot be linearized. */
  readonly op: Op;
  /** The last ok op before it in the history, if any. */
  readonly previousOk: Op | null;
  readonly finalPaths: ReadonlyArray<readonly FinalPathStep[]>;
  readonly configs: readonly FailureConfig[];
}

export function analyzeFailure(prepared: PreparedHistory, memo: ModelMemo, failingOpId: number, frontier: readonly FrontierConfig[]): LinearizabilityFailure {
  const failing = prepared.ops[failingOpId] as PreparedOp;
  const op = failing.completion as Op;
  let previousOk: Op | null = null;
  for (let position = failing.returnPosition - 1; position >= 0; position--) {
    const candidate = prepared.history[position] as Op;
    if (candidate.type === 'ok') {
      previousOk = candidate;
      break;
    }
  }

  const configs: FailureConfig[] = [];
  const paths: Array<{ steps: FinalPathStep[]; endsAtFailing: boolean; key: string }> = [];
  const seenConfigs = new Set<string>();
  for (const config of frontier) {
    const pending = pendingOps(prepared, failing, config);
    const configKey = `${config.state}:${pending.map((p) => p.id).join(',')}`;
    if (seenConfigs.has(configKey)) continue;
    seenConfigs.add(configKey);
    if (configs.length < FAILURE_CONFIGS_MAX) {
      configs.push({ model: memo.model.stateToValue(memo.states[config.state]), pending: pending.map((p) => p.invoke) });
    }
    if (paths.length < FINAL_PATHS_MAX * 4) paths.push(...finalPaths(prepared, memo, failing, config.state, pending));
  }
  // Paths that end where the failing op is refused come first: they are the story.
  const unique = new Map<string, (typeof paths)[number]>();
  for (const path of paths) if (!unique.has(path.key)) unique.set(path.key, path);
  const ordered = [...unique.values()].sort((a, b) => Number(b.endsAtFailing) - Number(a.endsAtFailing) || a.steps.length - b.steps.length);
  return { op, previousOk, finalPaths: ordered.slice(0, FINAL_PATHS_MAX).map((path) => path.steps), configs };
}

/** Ops invoked before the failing op completed and not linearized in `config`, failing op included. */
function pendingOps(prepared: PreparedHistory, failing: PreparedOp, config: FrontierConfig): PreparedOp[] {
  const pending: PreparedOp[] = [];
  for (const candidate of prepared.ops) {
    if (candidate.callPosition > failing.returnPosition) continue;
    const linearized = ((config.linearized[candidate.id >>> 5] as number) >>> (candidate.id & 31)) & 1;
    if (linearized === 0 || candidate.id === failing.id) pending.push(candidate);
  }
  pending.sort((a, b) => a.callPosition - b.callPosition);
  if (pending.length <= PATH_OPS_MAX) return pending;
  // Keep the failing op and the ops invoked most recently before it.
  const others = pending.filter((candidate) => candidate.id !== failing.id).slice(-(PATH_OPS_MAX - 1));
  return [...others, failing].sort((a, b) => a.callPosition - b.callPosition);
}

/** Breadth first, so the shortest explanations come first. */
function finalPaths(
  prepared: PreparedHistory,
  memo: ModelMemo,
  failing: PreparedOp,
  startState: number,
  pending: readonly PreparedOp[],
): Array<{ steps: FinalPathStep[]; endsAtFailing: boolean; key: string }> {
  const model: Model = memo.model;
  const found: Array<{ steps: FinalPathStep[]; endsAtFailing: boolean; key: string }> = [];
  interface PathNode {
    state: number;
    used: number;
    steps: FinalPathStep[];
    key: string;
  }
  const queue: PathNode[] = [{ state: startState, used: 0, steps: [{ op: null, model: model.stateToValue(memo.states[startState]) }], key: `${startState}` }];
  let nodes = 0;
  for (let head = 0; head < queue.length && nodes < PATH_NODES_MAX && found.length < FINAL_PATHS_MAX; head++) {
    const node = queue[head] as PathNode;
    for (let i = 0; i < pending.length; i++) {
      if ((node.used >>> i) & 1) continue;
      nodes++;
      const candidate = pending[i] as PreparedOp;
      const shown = candidate.completion !== undefined && candidate.required ? candidate.completion : candidate.invoke;
      const next = memo.step(node.state, prepared.opClass[candidate.id] as number);
      if (next === ILLEGAL_STATE) {
        // A crashed op that cannot happen here simply does not: that is no dead end.
        if (!candidate.required) continue;
        const message = model.explainIllegal(memo.states[node.state], candidate.modelOp);
        found.push({
          steps: [...node.steps, { op: shown, model: { msg: message } }],
          endsAtFailing: candidate.id === failing.id,
          key: `${node.key}>${candidate.id}!`,
        });
      } else if (candidate.id !== failing.id) {
        queue.push({
          state: next,
          used: node.used | (1 << i),
          steps: [...node.steps, { op: shown, model: model.stateToValue(memo.states[next]) }],
          key: `${node.key}>${candidate.id}`,
        });
      }
    }
  }
  return found;
}
