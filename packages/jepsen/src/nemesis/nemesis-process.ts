/**
 * Faults on the database's processes, through the Database adapter: `kill` SIGKILLs the
 * database on the targeted nodes and `start` starts it again; `pause` SIGSTOPs it and
 * `resume` SIGCONTs it (Jepsen's db nemesis). Targets as in nemesis-targeted.ts.
 *
 * By default every process of the node is hit, like a crash of the machine. With
 * `processes`, only those the adapter calls by these names (minisql: `region` kills a
 * region while its host's etcd member lives on), and targets are chosen among the nodes
 * that run one of them.
 */
import type { Database } from '../db/database.js';
import { NemesisError } from '../jepsen-errors.js';
import { type NodeFault, TargetedNemesis } from './nemesis-targeted.js';
import type { TargetSpec } from './nemesis-targets.js';
import type { Random } from '../generator/random-pick.js';
import type { TestContext } from '../test-context.js';

export const KILL = 'kill';
export const START = 'start';
export const PAUSE = 'pause';
export const RESUME = 'resume';

export interface ProcessNemesisOptions {
  /** Chooses the targets; seeded by the runner. */
  random: Random;
  /** Targets when an op's value is null. Default one. */
  targets?: TargetSpec;
  /** The names of the processes to hit; empty or absent: all of the node's. */
  processes?: readonly string[];
  /**
   * Appended to the ops' names (`kill-master` / `start-master`), so nemeses for different
   * processes can run side by side in one composed nemesis. Default none.
   */
  opSuffix?: string;
}

function opNames(fault: string, heal: string, suffix: string | undefined): [string, string] {
  return suffix === undefined ? [fault, heal] : [`${fault}-${suffix}`, `${heal}-${suffix}`];
}

type ProcessMethod = 'kill' | 'start' | 'pause' | 'resume';

function processFault(
  name: string,
  faultF: string,
  healF: string,
  faultMethod: ProcessMethod,
  healMethod: ProcessMethod,
  processes: readonly string[],
): NodeFault {
  const only = processes.length > 0 ? processes : undefined;
  const runsOneOf = (test: TestContext, node: string): boolean => (test.db.processes?.(test, node) ?? []).some((process) => processes.includes(process));
  return {
    name,
    faultF,
    healF,
    async setup(test) {
      const missing = [faultMethod, healMethod].filter((method) => typeof test.db[method] !== 'function');
      if (missing.length > 0) {
        throw new NemesisError('NEMESIS_UNSUPPORTED', `the ${name} needs the ${test.db.name} adapter to implement ${missing.join(' and ')}()`);
      }
      if (!only) return;
      if (!test.db.processes)
        throw new NemesisError('NEMESIS_UNSUPPORTED', `nemesis.processes needs the ${test.db.name} adapter to name its processes (processes())`);
      const known = new Set(test.nodes.flatMap((node) => test.db.processes?.(test, node) ?? []));
      const unknown = only.filter((process) => !known.has(process));
      if (unknown.length > 0) {
        throw new NemesisError(
          'NEMESIS_BAD_VALUE',
          `nemesis.processes names ${unknown.join(', ')}, which no node of ${test.db.name} runs (its processes: ${[...known].join(', ')})`,
        );
      }
    },
    inject: (test, node) => call(test.db, faultMethod, test, node, only),
    heal: (test, node) => call(test.db, healMethod, test, node, only),
    // A failed kill may still have killed; restart only what is down, so a running
    // database is never started twice.
    mayBeHarmed: faultMethod === 'kill' ? async (test, node) => !(await test.db.isRunning(test, node)) : undefined,
    candidates: only ? (test) => test.nodes.filter((node) => runsOneOf(test, node)) : undefined,
  };
}

async function call(db: Database, method: ProcessMethod, test: TestContext, node: string, only: readonly string[] | undefined): Promise<void> {
  const run = db[method];
  if (!run) throw new NemesisError('NEMESIS_UNSUPPORTED', `the ${db.name} adapter has no ${method}()`);
  await (only ? run.call(db, test, node, only) : run.call(db, test, node));
}

/** `kill` SIGKILLs the database on the targets (Database.kill); `start` restarts them (Database.start). */
export function killNemesis(options: ProcessNemesisOptions): TargetedNemesis {
  const [faultF, healF] = opNames(KILL, START, options.opSuffix);
  return new TargetedNemesis(processFault('kill nemesis', faultF, healF, 'kill', 'start', options.processes ?? []), {
    random: options.random,
    targets: options.targets ?? 'one',
  });
}

/** `pause` SIGSTOPs the database on the targets (Database.pause); `resume` SIGCONTs them (Database.resume). */
export function pauseNemesis(options: ProcessNemesisOptions): TargetedNemesis {
  const [faultF, healF] = opNames(PAUSE, RESUME, options.opSuffix);
  return new TargetedNemesis(processFault('pause nemesis', faultF, healF, 'pause', 'resume', options.processes ?? []), {
    random: options.random,
    targets: options.targets ?? 'one',
  });
}
