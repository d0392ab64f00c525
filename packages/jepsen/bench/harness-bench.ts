#!/usr/bin/env node
/**
 * Harness benchmark: how many operations a second the tester itself sustains, with the
 * database out of the way: ten client threads (the default concurrency) over an
 * in-memory register store behind the real workload client, generator, interpreter,
 * history recorder and op log (to /dev/null), at rate 0 (as fast as possible), then the
 * history checked, and its timeline page rendered (the store's timeline.html). Target
 * (jepsen.md): at least 1,000 ops/s.
 *
 *   node packages/jepsen/dist/bench/harness-bench.js [--seconds 5] [--concurrency 10]
 */
import { createWriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { clients, timeLimit } from '../src/generator/generator.js';
import { runGenerator } from '../src/generator/generator-runner.js';
import { HistoryRecorder } from '../src/history/history-recorder.js';
import { checkLinearizability } from '@minisql/checker';
import type { Op } from '@minisql/checker';
import { seededRandom } from '@minisql/common';
import type { StoreConnection } from '../src/db/store-connection.js';
import type { TestContext } from '../src/test-context.js';
import { TestLog } from '../src/store/test-log.js';
import { renderTimeline } from '../src/store/timeline-page.js';
import { WorkloadClient } from '../src/workload/workload-client.js';
import { workloadFor } from '../src/workload/workload.js';
import { parseTestConfig } from '../src/test-config.js';

const HARNESS_OPS_PER_SECOND_TARGET = 1_000;

/** An atomic register per key, answered on the next turn of the event loop like a local database. */
class MemoryStore implements StoreConnection {
  constructor(private readonly registers: Map<string, number>) {}
  private async turn(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
  }
  async read(key: string) {
    await this.turn();
    return this.registers.get(key) ?? null;
  }
  async write(key: string, value: number) {
    await this.turn();
    this.registers.set(key, value);
  }
  async cas(key: string, expected: number, next: number) {
    await this.turn();
    if (this.registers.get(key) !== expected) return false;
    this.registers.set(key, next);
    return true;
  }
  async close() {}
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const config = parseTestConfig({ concurrency, workload: { threads_per_key: 2, ops_per_key: 200 }, rate: 0 }, 'harness-bench');
const workload = workloadFor(config);
const registers = new Map<string, number>();
const log = new TestLog({ file: createWriteStream('/dev/null') });
const history: Op[] = [];
const start = process.hrtime.bigint();
const clockNs = () => Number(process.hrtime.bigint() - start);
const test = {
  name: 'harness-bench',
  nodes: ['memory'],
  remotes: new Map(),
  db: {} as never,
  databaseOptions: {},
  log,
  relativeTimeNs: clockNs,
} as TestContext;
const workers = Array.from({ length: concurrency }, () => new WorkloadClient(async () => new MemoryStore(registers)));
for (const worker of workers) await worker.open(test, 'memory');
const cpuBefore = process.cpuUsage();
const summary = await runGenerator({
  generator: timeLimit(seconds, clients(workload.main())),
  clientThreadCount: concurrency,
  withNemesis: false,
  invokeClient: (thread, op) => workers[thread]!.invoke(test, op),
  invokeNemesis: async (op) => op,
  recorder: new HistoryRecorder(history, clockNs, (op) => log.op(op)),
  clockNs,
  random: seededRandom(1),
  opTimeoutMs: 5_000,
});
const elapsedS = clockNs() / 1e9;
const cpu = process.cpuUsage(cpuBefore);
const checkStart = performance.now();
const verdict = checkLinearizability(history, { model: 'cas-register', perKey: true });
const checkMs = performance.now() - checkStart;
const renderStart = performance.now();
const timelineBytes = renderTimeline(history, { title: 'harness timeline' }).length;
const renderMs = performance.now() - renderStart;
const opsPerSecond = summary.clientOps / elapsedS;
const met = opsPerSecond >= HARNESS_OPS_PER_SECOND_TARGET && verdict.valid === true;
process.stdout.write(
  [
    `harness: ${summary.clientOps} client ops in ${elapsedS.toFixed(2)} s at concurrency ${concurrency} = ${Math.round(opsPerSecond)} ops/s ` +
      `(target >= ${HARNESS_OPS_PER_SECOND_TARGET}: ${opsPerSecond >= HARNESS_OPS_PER_SECOND_TARGET ? 'met' : 'not met'})`,
    `harness CPU: ${((cpu.user + cpu.system) / summary.clientOps).toFixed(1)} µs per op; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`,
    `checked ${history.length} history entries (${verdict.perKey?.size ?? 1} keys) in ${Math.round(checkMs)} ms: valid? ${String(verdict.valid)}`,
    `timeline page of ${history.length} entries rendered in ${Math.round(renderMs)} ms (${(timelineBytes / 1e6).toFixed(1)} MB)`,
    `load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
    '',
  ].join('\n'),
);
process.exit(met ? 0 : 1);
