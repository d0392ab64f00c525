#!/usr/bin/env node
/**
 * Checker benchmark: the linearizability checker against the brief's speed targets, in
 * one run on one machine state.
 *
 *   node packages/jepsen/dist/bench/checker-bench.js [--algorithm competition] [--ops 100000] [--seed 1]
 *
 * - The Porcupine corpus (PORCUPINE_DIR, default packages/checker/test/data/porcupine,
 *   a copy of the external corpus with its licence): each file parsed and checked once after one warm-up pass over the etcd
 *   histories, total and slowest. Targets: the 103 etcd histories in 5 s or less, none
 *   over 1 s. Every verdict is compared with the published one.
 * - kv/c50-ok (1,712 ops, 10 keys, 50 clients): 2 s or less (median of 3).
 * - kv/c10-ok and kv/c10-bad checked per key (median of 5) and as one history (one run):
 *   per key at least 100 times faster.
 * - A generated history of --ops operations (default 100,000; each an invocation and a
 *   completion, so twice as many lines) over 1,000 independent cas-registers, written as
 *   history.edn text, then parsed and checked: 10 s or less. It is linearizable by
 *   construction (a simulated atomic register with random latencies, 1% crashes).
 *
 * The machine is shared: the load average is printed with the results. Exit status 0
 * when every target is met, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatHistoryEdn, parseHistoryEdn } from '@minisql/checker';
import { checkLinearizability, type LinearizabilityResult } from '@minisql/checker';
import type { Model } from '@minisql/checker';
import { kvModel } from '@minisql/checker';
import { casRegisterModel } from '@minisql/checker';
import type { Op, OpValue } from '@minisql/checker';
import { parseJepsenConsoleLog, parseKvLog } from '@minisql/checker';
import { seededRandom } from '@minisql/common';

/** dist/bench -> the repository root. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const CORPUS_DIR = process.env.PORCUPINE_DIR ?? resolve(REPO_ROOT, 'packages/checker/test/data/porcupine');

const TARGETS = {
  etcdCorpusTotalMs: 5_000,
  etcdHistoryMaxMs: 1_000,
  c50OkMs: 2_000,
  perKeySpeedupMin: 100,
  generatedMs: 10_000,
};
/** Far above every target, so a regression shows as a time rather than as unknown. */
const TIME_LIMIT_MS = 120_000;

const ETCD_MODEL = casRegisterModel({ nilReads: 'only-while-absent', failedCas: 'observes-mismatch' }) as Model;
const KV_MODEL = kvModel() as Model;

interface Row {
  target: string;
  measured: string;
  limit: string;
  met: boolean;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      algorithm: { type: 'string', default: 'competition' },
      ops: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
    },
  });
  const algorithm = values.algorithm;
  const rows: Row[] = [];
  const notes: string[] = [];

  // The corpus.
  const entries = readFileSync(join(CORPUS_DIR, 'verdicts.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string]);
  const check = (file: string): { result: LinearizabilityResult; ms: number } => {
    const startMs = performance.now();
    const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
    const ops = file.startsWith('jepsen/') ? parseJepsenConsoleLog(text) : parseKvLog(text);
    const result = checkLinearizability(ops, { model: file.startsWith('jepsen/') ? ETCD_MODEL : KV_MODEL, algorithm, timeLimitMs: TIME_LIMIT_MS });
    return { result, ms: performance.now() - startMs };
  };
  process.stderr.write('warming up on the etcd histories...\n');
  for (const [file] of entries) if (file.startsWith('jepsen/')) check(file);

  let etcdTotalMs = 0;
  let corpusTotalMs = 0;
  let slowest = { file: '', ms: 0 };
  let mismatches = 0;
  for (const [file, verdict] of entries) {
    const { result, ms } = check(file);
    corpusTotalMs += ms;
    if (file.startsWith('jepsen/')) {
      etcdTotalMs += ms;
      if (ms > slowest.ms) slowest = { file, ms };
    }
    const expected = verdict === 'linearizable' ? true : verdict === 'not-linearizable' ? false : undefined;
    if (expected !== undefined && result.valid !== expected) {
      mismatches++;
      notes.push(`MISMATCH ${file}: published ${verdict}, checker ${String(result.valid)} ${result.reason ?? ''}`);
    }
  }
  rows.push({
    target: 'etcd corpus, 103 histories, total',
    measured: seconds(etcdTotalMs),
    limit: `≤ ${seconds(TARGETS.etcdCorpusTotalMs)}`,
    met: etcdTotalMs <= TARGETS.etcdCorpusTotalMs,
  });
  rows.push({
    target: `etcd corpus, slowest history (${slowest.file.replace('jepsen/', '')})`,
    measured: seconds(slowest.ms),
    limit: `≤ ${seconds(TARGETS.etcdHistoryMaxMs)}`,
    met: slowest.ms <= TARGETS.etcdHistoryMaxMs,
  });
  rows.push({ target: `whole corpus, ${entries.length} files, total`, measured: seconds(corpusTotalMs), limit: '(info)', met: true });
  rows.push({ target: 'published verdicts matched', measured: `${entries.length - mismatches} of ${entries.length}`, limit: 'all', met: mismatches === 0 });

  // kv/c50-ok.
  const c50 = parseKvLog(readFileSync(join(CORPUS_DIR, 'kv/c50-ok.txt'), 'utf8'));
  const c50Ms = median(repeat(3, () => timed(() => checkLinearizability(c50, { model: KV_MODEL, algorithm, timeLimitMs: TIME_LIMIT_MS })).ms));
  rows.push({
    target: `kv/c50-ok (${(c50.length / 2).toLocaleString('en')} ops, 10 keys, 50 clients)`,
    measured: seconds(c50Ms),
    limit: `≤ ${seconds(TARGETS.c50OkMs)}`,
    met: c50Ms <= TARGETS.c50OkMs,
  });

  // Per key against whole history on kv/c10.
  for (const name of ['c10-ok', 'c10-bad']) {
    const ops = parseKvLog(readFileSync(join(CORPUS_DIR, `kv/${name}.txt`), 'utf8'));
    const perKeyMs = median(repeat(5, () => timed(() => checkLinearizability(ops, { model: KV_MODEL, algorithm, timeLimitMs: TIME_LIMIT_MS })).ms));
    const whole = timed(() => checkLinearizability(ops, { model: KV_MODEL, algorithm, perKey: false, timeLimitMs: TIME_LIMIT_MS }));
    const speedup = whole.ms / perKeyMs;
    rows.push({
      target: `kv/${name}: per key ${milliseconds(perKeyMs)}, whole ${seconds(whole.ms)} (${String(whole.value.valid)})`,
      measured: `${speedup.toFixed(0)}×`,
      limit: `≥ ${TARGETS.perKeySpeedupMin}×`,
      met: speedup >= TARGETS.perKeySpeedupMin,
    });
  }

  // A generated history of independent keys, as history.edn text.
  const operationCount = Number(values.ops);
  const text = formatHistoryEdn(generateRegisterHistory(operationCount, 1_000, Number(values.seed)));
  const generated = timed(() => {
    const ops = parseHistoryEdn(text);
    const parsedMs = performance.now();
    const result = checkLinearizability(ops, { model: 'cas-register', algorithm, timeLimitMs: TIME_LIMIT_MS });
    return { ops, result, parsedMs };
  });
  const parseMs = generated.value.parsedMs - generated.startMs;
  rows.push({
    target: `generated: ${operationCount.toLocaleString('en')} ops (${generated.value.ops.length.toLocaleString('en')} lines), 1,000 keys, parse ${seconds(parseMs)} + check (${String(generated.value.result.valid)})`,
    measured: seconds(generated.ms),
    limit: `≤ ${seconds(TARGETS.generatedMs)}`,
    met: generated.ms <= TARGETS.generatedMs && generated.value.result.valid === true,
  });

  const [load1, load5] = loadavg();
  printTable(rows);
  console.log(`\nalgorithm ${algorithm}; load average ${(load1 ?? 0).toFixed(2)} (1 min), ${(load5 ?? 0).toFixed(2)} (5 min); Node ${process.version}`);
  for (const note of notes) console.log(note);
  const allMet = rows.every((row) => row.met);
  console.log(allMet ? 'All targets met.' : 'Some targets NOT met.');
  process.exitCode = allMet ? 0 : 1;
}

/**
 * A linearizable history of `operationCount` ops over `keyCount` cas-registers: per key,
 * five processes with random think times and latencies act on one atomic register, each
 * op taking effect at a random instant inside its interval. 1% of ops crash (info, taking
 * effect or not; the process retires), a CAS whose compare fails completes as fail.
 */
function generateRegisterHistory(operationCount: number, keyCount: number, seed: number): Op[] {
  const random = seededRandom(seed);
  const processesPerKey = 5;
  interface Event {
    timeNs: number;
    op: Omit<Op, 'index' | 'time'>;
  }
  const events: Event[] = [];
  const opsPerKey = Math.ceil(operationCount / keyCount);
  let nextProcess = keyCount * processesPerKey;
  let generatedCount = 0;
  for (let key = 0; key < keyCount && generatedCount < operationCount; key++) {
    // Plan every op of this key: its process, interval and instant of effect.
    interface Planned {
      process: number;
      startNs: number;
      effectNs: number;
      endNs: number;
      f: 'read' | 'write' | 'cas';
      input: OpValue;
      crashed: boolean;
    }
    const planned: Planned[] = [];
    const freeAtNs = new Array<number>(processesPerKey).fill(0);
    const processIds = Array.from({ length: processesPerKey }, (_, slot) => key * processesPerKey + slot);
    for (let n = 0; n < opsPerKey && generatedCount < operationCount; n++, generatedCount++) {
      const slot = Math.floor(random() * processesPerKey);
      const startNs = (freeAtNs[slot] as number) + Math.floor(random() * 2_000_000);
      const latencyNs = 100_000 + Math.floor(random() * 5_000_000);
      const choice = random();
      const f = choice < 0.5 ? 'read' : choice < 0.8 ? 'write' : 'cas';
      const input: OpValue = f === 'read' ? null : f === 'write' ? Math.floor(random() * 5) : [Math.floor(random() * 5), Math.floor(random() * 5)];
      const crashed = random() < 0.01;
      planned.push({
        process: processIds[slot] as number,
        startNs,
        effectNs: startNs + Math.floor(random() * latencyNs),
        endNs: startNs + latencyNs,
        f,
        input,
        crashed,
      });
      freeAtNs[slot] = startNs + latencyNs;
      if (crashed) processIds[slot] = nextProcess++;
    }
    // Apply in order of effect to one atomic register, then record invocations and completions.
    let value: OpValue = null;
    for (const op of [...planned].sort((a, b) => a.effectNs - b.effectNs)) {
      let type: Op['type'] = 'ok';
      let result: OpValue = op.input;
      const tookEffect = !op.crashed || random() < 0.5;
      if (op.f === 'read') {
        result = value;
      } else if (op.f === 'write') {
        if (tookEffect) value = op.input;
      } else {
        const [from, to] = op.input as [number, number];
        if (value === from) {
          if (tookEffect) value = to;
        } else {
          type = 'fail';
        }
      }
      if (op.crashed) type = 'info';
      events.push({ timeNs: op.startNs, op: { type: 'invoke', f: op.f, value: op.input, process: op.process, key } });
      events.push({ timeNs: op.endNs, op: { type, f: op.f, value: type === 'info' ? op.input : result, process: op.process, key } });
    }
  }
  events.sort((a, b) => a.timeNs - b.timeNs);
  return events.map((event, index) => ({ ...event.op, time: event.timeNs, index }));
}

function timed<T>(run: () => T): { value: T; ms: number; startMs: number } {
  const startMs = performance.now();
  const value = run();
  return { value, ms: performance.now() - startMs, startMs };
}

function repeat<T>(count: number, run: () => T): T[] {
  return Array.from({ length: count }, run);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function milliseconds(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

function printTable(rows: readonly Row[]): void {
  const header: Row = { target: 'target', measured: 'measured', limit: 'limit', met: true };
  const widths = {
    target: Math.max(...[header, ...rows].map((row) => row.target.length)),
    measured: Math.max(...[header, ...rows].map((row) => row.measured.length)),
    limit: Math.max(...[header, ...rows].map((row) => row.limit.length)),
  };
  const line = (row: Row, met: string) =>
    `| ${row.target.padEnd(widths.target)} | ${row.measured.padStart(widths.measured)} | ${row.limit.padEnd(widths.limit)} | ${met.padEnd(7)} |`;
  console.log(line(header, 'met'));
  console.log(`|${'-'.repeat(widths.target + 2)}|${'-'.repeat(widths.measured + 2)}|${'-'.repeat(widths.limit + 2)}|---------|`);
  for (const row of rows) console.log(line(row, row.limit === '(info)' ? '' : row.met ? 'met' : 'NOT met'));
}

main();
