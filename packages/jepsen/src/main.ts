#!/usr/bin/env node
/**
 * minisql-jepsen: run a test from a configuration, or check a history offline.
 * The only place that reads flags and the environment. Exit status: 0 valid, 1 invalid,
 * 2 unknown (including a crashed run or bad input).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { checkHistoryFile } from './history/history-check.js';
import { casRegisterModel, FAILED_CAS_RULES, type FailedCasRule } from '@minisql/checker';
import { HOSTS_SCRIPT_PATH, NetnsHosts } from './control/netns-hosts.js';
import { parseTestConfig, TestConfigError } from './test-config.js';
import { testParts } from './test-parts.js';
import { runTest, verdictLine } from './test-runner.js';
import { JepsenError } from './jepsen-errors.js';
import { hideIpServerNameWarning } from '@minisql/common';

hideIpServerNameWarning();

const USAGE = `minisql-jepsen: Jepsen-style tests of etcd and minisql, and a linearizability checker

usage:
  minisql-jepsen run [--config FILE] [flags]     run a test; results in <store>/<name>/<time>/
  minisql-jepsen check FILE [flags]              check a history (history.edn, .jsonl, or a Jepsen console log)
  minisql-jepsen hosts up|down|status|plan       the five namespace hosts of the one-machine cluster

run flags (each overrides the configuration file; see packages/jepsen/README.md):
  --config FILE          pyjepsen-style config.yaml (default: none, all defaults)
  --db etcd|minisql      database.type
  --nemesis MODE         partition | kill | pause | delay | loss | clock | runaway | switchover | move | none
  --partition METHOD     one | majority | majorities-ring | minority-third | primaries | halves | bridge
  --workload NAME        cas-register | register | set | mutex
  --time-limit SECONDS   seconds of operations (default 30)
  --concurrency N        client threads (default 10)
  --rate OPS             operations per second, 0 for as fast as possible (default 10)
  --interval SECONDS     seconds between fault and heal (default 5)
  --seed N               seed of every random choice
  --store DIR            store root (default ./store)
  --set KEY=VALUE        any configuration key, e.g. --set database.reads=replica
  --quiet                do not print each operation

check flags:
  --model NAME           cas-register | register | mutex | kv (default cas-register)
  --algorithm NAME       competition | wgl | linear (default competition)
  --time-limit SECONDS   give up with unknown after this long (default 60)
  --whole                check the whole history at once instead of key by key
  --failed-cas RULE      cas-register: no-effect (Jepsen's default: a failed CAS changed
                         nothing) or observes-mismatch (it also read a value other than
                         the expected one, as etcd's and Porcupine's histories mean it)

exit status: 0 valid, 1 invalid, 2 unknown or error`;

const EXIT_VALID = 0;
const EXIT_INVALID = 1;
const EXIT_UNKNOWN = 2;

function exitCodeOf(valid: boolean | 'unknown'): number {
  if (valid === true) return EXIT_VALID;
  if (valid === false) return EXIT_INVALID;
  return EXIT_UNKNOWN;
}

/** Sets `a.b.c` in a nested object, creating the levels. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let level = target;
  for (const part of parts.slice(0, -1)) {
    const next = level[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) level[part] = {};
    level = level[part] as Record<string, unknown>;
  }
  level[parts.at(-1)!] = value;
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      db: { type: 'string' },
      nemesis: { type: 'string' },
      partition: { type: 'string' },
      workload: { type: 'string' },
      'time-limit': { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
      store: { type: 'string' },
      set: { type: 'string', multiple: true },
      quiet: { type: 'boolean' },
    },
  });
  const source = values.config ?? 'the command line';
  const raw = ((values.config ? parseYaml(readFileSync(values.config, 'utf8')) : {}) ?? {}) as Record<string, unknown>;
  const flags: [string | undefined, string][] = [
    [values.db, 'database.type'],
    [values.nemesis, 'nemesis.mode'],
    [values.partition, 'nemesis.partition_method'],
    [values.workload, 'workload.name'],
    [values['time-limit'], 'time_limit'],
    [values.concurrency, 'concurrency'],
    [values.rate, 'rate'],
    [values.interval, 'nemesis.interval'],
    [values.seed, 'seed'],
    [values.store, 'store'],
  ];
  for (const [value, path] of flags) if (value !== undefined) setPath(raw, path, parseYaml(value) as unknown);
  for (const assignment of values.set ?? []) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new TestConfigError(source, '--set', `takes KEY=VALUE, not ${assignment}`);
    setPath(raw, assignment.slice(0, equals), parseYaml(assignment.slice(equals + 1)) as unknown);
  }
  const config = parseTestConfig(raw, source);
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    process.stderr.write(`\n${signal}: stopping operations, healing and tearing down (again to exit at once)\n`);
    if (interrupts > 1) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const outcome = await runTest(testParts(config), { signal: interrupt.signal, console: process.stdout, logOps: !values.quiet });
  return exitCodeOf(outcome.verdict.valid);
}

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      algorithm: { type: 'string' },
      'time-limit': { type: 'string' },
      whole: { type: 'boolean' },
      'failed-cas': { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file) throw new JepsenError('USAGE', `check needs a history file\n\n${USAGE}`);
  const modelName = values.model ?? 'cas-register';
  const failedCas = values['failed-cas'];
  if (failedCas !== undefined && modelName !== 'cas-register')
    throw new JepsenError('USAGE', `--failed-cas applies to the cas-register model, not ${modelName}`);
  if (failedCas !== undefined && !FAILED_CAS_RULES.includes(failedCas as FailedCasRule)) {
    throw new JepsenError('USAGE', `--failed-cas takes ${FAILED_CAS_RULES.join(' or ')}, not ${failedCas}`);
  }
  const verdict = await checkHistoryFile(file, {
    model: failedCas === undefined ? modelName : casRegisterModel({ failedCas: failedCas as FailedCasRule }),
    algorithm: values.algorithm ?? 'competition',
    timeLimitSeconds: values['time-limit'] === undefined ? 60 : Number(values['time-limit']),
    perKey: !values.whole,
  });
  process.stdout.write(`${verdict.resultsEdn}\n\n${verdictLine(verdict)}\n`);
  return exitCodeOf(verdict.valid);
}

async function hosts(args: string[]): Promise<number> {
  const action = args[0];
  const cluster = new NetnsHosts();
  if (action === 'up') {
    const created = await cluster.create();
    for (const host of created) process.stdout.write(`${host.node}\t${host.namespace}\t${host.address}\n`);
    process.stdout.write('The hosts stay until `minisql-jepsen hosts down`.\n');
    process.exit(EXIT_VALID); // Skips the exit hook that would remove them.
  }
  if (action === 'down') {
    await cluster.destroy();
    return EXIT_VALID;
  }
  if (action === 'plan') {
    for (const host of await cluster.plan()) process.stdout.write(`${host.node}\t${host.namespace}\t${host.address}\n`);
    return EXIT_VALID;
  }
  if (action === 'status' || action === undefined) {
    // What exists now, as the script reports it (the plan says only what `up` would make).
    const result = spawnSync('bash', [HOSTS_SCRIPT_PATH, 'status'], { stdio: 'inherit', timeout: 30_000 });
    return result.status === 0 ? EXIT_VALID : EXIT_UNKNOWN;
  }
  throw new JepsenError('USAGE', `hosts takes up, down, status or plan, not ${action}`);
}

/** The subcommands, each of which answers -h / --help with the usage. */
const COMMANDS = new Set(['run', 'check', 'hosts']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && COMMANDS.has(command) && (rest.includes('-h') || rest.includes('--help'))) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_VALID;
  }
  switch (command) {
    case 'run':
      return run(rest);
    case 'check':
      return check(rest);
    case 'hosts':
      return hosts(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT_UNKNOWN : EXIT_VALID;
    default:
      process.stderr.write(`minisql-jepsen: unknown command ${command}\n\n${USAGE}\n`);
      return EXIT_UNKNOWN;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const unknownOption = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    process.stderr.write(
      `minisql-jepsen: ${error instanceof Error ? error.message : String(error)}${unknownOption ? '\n(minisql-jepsen --help lists the flags)' : ''}\n`,
    );
    process.exit(EXIT_UNKNOWN);
  },
);
