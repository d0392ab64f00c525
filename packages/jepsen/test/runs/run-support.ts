/**
 * Runs a whole Jepsen test from a configuration, as `minisql-jepsen run` does, on
 * namespace hosts of its own (a prefix and subnet no developer's hosts use), with its
 * store and database files in a temporary folder; and checks afterwards that nothing of
 * the run is left: no namespaces, no processes, no files on the "nodes".
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseTestConfig } from '../../src/test-config.js';
import { testParts } from '../../src/test-parts.js';
import { runTest, type TestOutcome } from '../../src/test-runner.js';

/** Names and addresses of this test process's own, so two runs at once cannot collide. */
export const RUN_NET_PREFIX = `mjr${process.pid % 10_000}`;
process.env.JEPSEN_NET_PREFIX = RUN_NET_PREFIX;
process.env.JEPSEN_NET_SUBNET = `10.79.${process.pid % 250}`;

export interface RunResult extends TestOutcome {
  timeline: string;
  results: string;
}

/**
 * `expected`: the verdict the caller expects; a run with another verdict (or unknown)
 * keeps its store whatever JEPSEN_KEEP_RUNS says (null: none is expected, as for an
 * attempt that a retry may follow). `inspect`: the caller's assertions on
 * the run, made while its store still exists, so that a run they fail is kept too.
 */
export async function runConfig(
  raw: Record<string, unknown>,
  expected: boolean | null = true,
  inspect: (run: RunResult) => void = () => {},
): Promise<RunResult> {
  const scratch = mkdtempSync(`${tmpdir()}/minisql-jepsen-run-`);
  const nodeDir = `${scratch}/nodes`;
  let keep = process.env.JEPSEN_KEEP_RUNS !== undefined;
  try {
    const database = { ...(raw.database as Record<string, unknown>), dir: nodeDir };
    const config = parseTestConfig({ ...raw, database, store: `${scratch}/store` }, 'the test');
    const outcome = await runTest(testParts(config));
    // A run whose verdict is not plainly valid keeps its store: its history is the only
    // witness of what happened, and a rerun will not produce the same one.
    if (expected !== null && outcome.verdict.valid !== expected) keep = true;
    const result = {
      ...outcome,
      timeline: readFileSync(`${outcome.storePath}/timeline.html`, 'utf8'),
      results: readFileSync(`${outcome.storePath}/results.edn`, 'utf8'),
    };
    const warnings = readFileSync(`${outcome.storePath}/jepsen.log`, 'utf8')
      .split('\n')
      .filter((line) => line.includes(' WARN '));
    assertNothingLeft(nodeDir, warnings);
    try {
      inspect(result);
    } catch (error) {
      keep = true;
      throw error;
    }
    return result;
  } finally {
    // JEPSEN_KEEP_RUNS=1 keeps the store (history, timeline, node logs) for a look afterwards.
    if (keep) {
      rmSync(nodeDir, { recursive: true, force: true });
      process.stderr.write(`kept the run in ${scratch}/store\n`);
    } else rmSync(scratch, { recursive: true, force: true });
  }
}

function assertNothingLeft(nodeDir: string, warnings: string[]): void {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.ok(!namespaces.includes(RUN_NET_PREFIX), `namespaces of the run are left: ${namespaces}`);
  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(nodeDir));
  assert.deepEqual(processes, [], 'processes of the run are left');
  const leftovers = ['host0', 'host1', 'host2', 'host3', 'host4'].filter((node) => existsSync(`${nodeDir}/${node}`));
  assert.deepEqual(leftovers, [], `node folders are left after teardown (warnings: ${warnings.join('; ').slice(0, 2_000)})`);
}

/** Distinct keys of the client ops, and the nemesis fs that completed. */
export function historyFacts(outcome: TestOutcome): { keys: number; nemesisFs: Set<string>; okOps: number; processes: number } {
  const clientOps = outcome.history.filter((op) => op.process !== 'nemesis');
  return {
    keys: new Set(clientOps.map((op) => op.key)).size,
    nemesisFs: new Set(outcome.history.filter((op) => op.process === 'nemesis' && op.type !== 'invoke').map((op) => op.f)),
    okOps: clientOps.filter((op) => op.type === 'ok').length,
    processes: new Set(clientOps.map((op) => op.process)).size,
  };
}
