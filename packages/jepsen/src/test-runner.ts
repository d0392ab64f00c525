/**
 * One test from start to verdict, in Jepsen's order: open the nodes, set the database up
 * on every node, run the workload while the nemesis injects faults, heal, run the final
 * operations, tear everything down, then check the history and write the store.
 *
 * Everything the run creates is removed in `finally` blocks, in reverse order: faults
 * healed, clients closed, database torn down, namespace hosts removed. A Ctrl-C (the
 * `signal`) stops new operations and goes through the same path.
 */
import { cpus } from 'node:os';
import type { Writable } from 'node:stream';
import type { Client, Database } from './db/database.js';
import { any, clients, cycle, nemesis as nemesisOnly, once, sequence, sleep, stagger, timeLimit, type Generator } from './generator/generator.js';
import { runGenerator } from './generator/generator-runner.js';
import { formatHistoryEdn } from '@minisql/checker';
import { formatHistoryJsonl } from '@minisql/checker';
import { checkHistory, crashedRunVerdict, type HistoryVerdict } from './history/history-check.js';
import { HistoryRecorder } from './history/history-recorder.js';
import type { Nemesis } from './nemesis/nemesis.js';
import type { Op, OpValue } from '@minisql/checker';
import { latencyPlotSvg, ratePlotSvg } from './store/perf-plots.js';
import type { Remote } from './control/remote.js';
import { seededRandom } from '@minisql/common';
import type { TestConfig } from './test-config.js';
import type { TestContext } from './test-context.js';
import { TestLog } from './store/test-log.js';
import { STORE_FILES, TestStore } from './store/test-store.js';
import { renderTimeline } from './store/timeline-page.js';
import type { Connect } from './workload/workload-client.js';
import { WorkloadClient } from './workload/workload-client.js';
import type { Workload } from './workload/workload.js';
import { withVerification, type DatabaseVerification } from './db/db-verification.js';

/** A database with the connection the built-in workloads use. */
export type WorkloadDatabase = Database & { connect: Connect };

/** One fault of the nemesis's schedule: the op that starts it, and the op that heals it. */
export interface NemesisSchedule {
  startF: string;
  stopF: string;
  /** The start op's value (e.g. a partition's shape); default nil. */
  startValue?: OpValue;
}

export interface TestParts {
  config: TestConfig;
  /** Opens one remote per node; `close` removes whatever was made for them. */
  openNodes(log: TestLog): Promise<{ remotes: Map<string, Remote>; close(): Promise<void> }>;
  db: WorkloadDatabase;
  nemesis: Nemesis;
  /** The faults, injected in turn; undefined for no nemesis. */
  schedule?: NemesisSchedule[];
  workload: Workload;
}

export interface RunOptions {
  /** Ctrl-C: stop starting operations, heal, tear down. */
  signal?: AbortSignal;
  /** The console; undefined for a quiet run. */
  console?: Writable;
  /** Log every operation to the console (default true). */
  logOps?: boolean;
}

export interface TestOutcome {
  verdict: HistoryVerdict;
  /** The run's folder in the store. */
  storePath: string;
  history: Op[];
}

/** Seconds between the heal at the end and the final operations, for the database to recover. */
const RECOVERY_SECONDS = 2;

export async function runTest(parts: TestParts, options: RunOptions = {}): Promise<TestOutcome> {
  const { config } = parts;
  const started = new Date();
  const store = await TestStore.create(config.storeDir, config.name, started);
  const log = new TestLog({ file: store.logStream(), ...(options.console ? { console: options.console } : {}), logOps: options.logOps ?? true });
  const random = seededRandom(config.seed);
  // The history's clock starts with the first operation, as Jepsen's relative time does,
  // so setup time counts neither in op times nor against the run's deadline.
  let startNs = process.hrtime.bigint();
  const clockNs = () => Number(process.hrtime.bigint() - startNs);
  const startClock = () => {
    startNs = process.hrtime.bigint();
  };
  const history: Op[] = [];
  /** The database's check of its own copies after the run, when it has one. */
  const verification: { outcome?: DatabaseVerification } = {};
  log.info(`Running test ${config.name} (seed ${config.seed}, ${cpus().length} cores) from ${config.source}; store ${store.path('')}`);

  let runError: unknown;
  try {
    const nodes = await parts.openNodes(log);
    try {
      const test: TestContext = {
        name: config.name,
        nodes: [...nodes.remotes.keys()],
        remotes: nodes.remotes,
        db: parts.db,
        databaseOptions: config.database,
        log,
        relativeTimeNs: clockNs,
      };
      await runOnNodes(parts, test, { history, log, random, clockNs, startClock, store, verification, ...(options.signal ? { signal: options.signal } : {}) });
    } finally {
      await nodes.close().catch((error: unknown) => log.warn(`Removing the nodes failed: ${String(error)}`));
    }
  } catch (error) {
    runError = error;
    log.warn(`The test crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  await store.writeText(STORE_FILES.historyEdn, formatHistoryEdn(history));
  await store.writeText(STORE_FILES.historyJsonl, formatHistoryJsonl(history));
  log.info(`Analyzing ${history.length} operations...`);
  const verdict =
    runError === undefined ? withVerification(await checkHistory(parts.workload, history, config.checker), verification.outcome) : crashedRunVerdict(runError);
  await store.writeText(STORE_FILES.results, `${verdict.resultsEdn}\n`);
  const subtitle = `${started.toISOString()}: valid? ${String(verdict.valid)} — ${verdict.summary}`;
  await store.writeText(STORE_FILES.timeline, renderTimeline(history, { title: `${config.name} timeline`, subtitle, highlight: verdict.highlight }));
  await store.writeText(STORE_FILES.latencyPlot, latencyPlotSvg(history, { title: config.name }));
  await store.writeText(STORE_FILES.ratePlot, ratePlotSvg(history, { title: config.name }));
  await store.linkLatest();
  log.info(`Run complete, writing to ${store.path('')}`);
  options.console?.write(`\n${verdict.resultsEdn}\n\n`);
  options.console?.write(`${verdictLine(verdict)}\n`);
  log.info(verdictLine(verdict));
  await store.close();
  return { verdict, storePath: store.path(''), history };
}

export function verdictLine(verdict: HistoryVerdict): string {
  if (verdict.valid === true) return 'Everything looks good! ヽ(‘ー`)ノ';
  if (verdict.valid === false) return 'Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻';
  return 'Errors occurred during analysis, but no anomalies found. ಠ~ಠ';
}

interface RunState {
  history: Op[];
  log: TestLog;
  random: () => number;
  clockNs: () => number;
  /** Sets the history's time 0 to now. */
  startClock: () => void;
  store: TestStore;
  /** Filled with the database's verification, once the run has healed. */
  verification: { outcome?: DatabaseVerification };
  signal?: AbortSignal;
}

async function runOnNodes(parts: TestParts, test: TestContext, state: RunState): Promise<void> {
  const { config, db, nemesis } = parts;
  const { log } = state;
  const workers: Client[] = [];
  const nodeOf = (thread: number) => test.nodes[thread % test.nodes.length]!;
  try {
    log.info(`Setting up ${db.name} on ${test.nodes.join(', ')}`);
    await Promise.all(test.nodes.map((node) => db.teardown(test, node)));
    await Promise.all(test.nodes.map((node) => db.setup(test, node)));
    await db.setupPrimary?.(test);
    for (let thread = 0; thread < config.concurrency; thread++) {
      const client = new WorkloadClient((context, node) => db.connect(context, node));
      await client.open(test, nodeOf(thread));
      workers.push(client);
    }
    log.info(`Setting up nemesis (${config.nemesis.mode})`);
    await nemesis.setup(test);
    try {
      const recorder = new HistoryRecorder(state.history, state.clockNs, (op) => log.op(op));
      state.startClock();
      const summary = await runGenerator({
        generator: testGenerator(parts),
        clientThreadCount: config.concurrency,
        withNemesis: parts.schedule !== undefined,
        invokeClient: (thread, op) => workers[thread]!.invoke(test, op),
        reopenClient: async (thread) => {
          const client = workers[thread]!;
          await client.close(test).catch(() => undefined);
          await client.open(test, nodeOf(thread));
        },
        invokeNemesis: (op) => nemesis.invoke(test, op),
        recorder,
        clockNs: state.clockNs,
        random: state.random,
        opTimeoutMs: config.opTimeoutMs,
        // A bound on the whole run, whatever the generators do: the time limit, the
        // heal and recovery, the final phase, and one op timeout to spare.
        hardDeadlineNs: (config.timeLimitSeconds + config.nemesis.intervalSeconds + RECOVERY_SECONDS + 60) * 1e9 + config.opTimeoutMs * 1e6,
        ...(state.signal ? { signal: state.signal } : {}),
      });
      log.info(`Run ended (${summary.endedBy}): ${summary.clientOps} client operations, ${summary.nemesisOps} nemesis operations`);
    } finally {
      log.info('Healing the nemesis');
      await nemesis.teardown(test).catch((error: unknown) => log.warn(`Healing failed: ${String(error)}`));
    }
    if (db.verify) {
      log.info(`Verifying ${db.name}'s copies`);
      state.verification.outcome = await db.verify(test);
      log.info(`Verify: ${state.verification.outcome.summary}`);
    }
  } finally {
    await Promise.all(workers.map((client) => client.close(test).catch(() => undefined)));
    await copyNodeLogs(test, db, state);
    if (config.leaveDbRunning) {
      log.info(`Leaving ${db.name} running on ${test.nodes.join(', ')}`);
    } else {
      log.info(`Tearing down ${db.name}`);
      await Promise.all(test.nodes.map((node) => db.teardown(test, node).catch((error: unknown) => log.warn(`Teardown on ${node} failed: ${String(error)}`))));
    }
  }
}

/** The workload on the client threads and the fault schedule on the nemesis, then the heal, then the final ops. */
function testGenerator(parts: TestParts): Generator {
  const { config, workload, schedule } = parts;
  const rated = (generator: Generator) => (config.ratePerSecond > 0 ? stagger(1 / config.ratePerSecond, generator) : generator);
  const main: Generator[] = [clients(rated(workload.main()))];
  if (schedule) {
    const interval = config.nemesis.intervalSeconds;
    let turn = 0;
    const nextFault = (): Generator => {
      const fault = schedule[turn++ % schedule.length]!;
      return sequence([sleep(interval), once({ f: fault.startF, value: fault.startValue ?? null }), sleep(interval), once({ f: fault.stopF, value: null })]);
    };
    main.push(nemesisOnly(cycle(nextFault)));
  }
  const phases: Generator[] = [timeLimit(config.timeLimitSeconds, any(main))];
  // Every kind of fault is healed in the history before the final phase.
  if (schedule) for (const stopF of new Set(schedule.map((fault) => fault.stopF))) phases.push(nemesisOnly(once({ f: stopF, value: null })));
  if (workload.final) phases.push(sleep(RECOVERY_SECONDS), clients(workload.final()));
  return sequence(phases);
}

async function copyNodeLogs(test: TestContext, db: Database, state: RunState): Promise<void> {
  if (!db.logFiles) return;
  for (const node of test.nodes) {
    const remote = test.remotes.get(node);
    if (!remote) continue;
    const dir = await state.store.nodeDir(node);
    for (const path of db.logFiles(test, node)) {
      const name = path.split('/').pop() ?? 'log';
      await remote.download(path, `${dir}/${name}`).catch((error: unknown) => state.log.warn(`Could not copy ${path} from ${node}: ${String(error)}`));
    }
  }
}
