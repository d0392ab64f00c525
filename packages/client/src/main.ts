#!/usr/bin/env node
/**
 * The `minisql` command. The only file that reads process.argv, the environment and the
 * standard streams; everything it calls takes them as arguments.
 *   minisql [--region HOST:PORT] [-e SQL] [--history FILE] [--timeout-ms N]
 */
import { homedir } from 'node:os';
import { parseCliArgs, USAGE, type CliOptions } from './cli-args.js';
import { connectionError } from './connection-error.js';
import { MiniSqlClient } from './minisql-client.js';
import { runRepl } from './repl.js';
import { formatError } from './result-format.js';
import { COMMAND_LINE_ORIGIN, ScriptRunner, STDIN_ORIGIN } from './script-runner.js';

const EXIT_OK = 0;
const EXIT_STATEMENT_FAILED = 1;
const EXIT_USAGE_OR_CONNECT = 2;

async function main(): Promise<number> {
  const command = parseCliArgs(process.argv.slice(2), { regionFromEnv: process.env.MINISQL_REGION, homeDir: homedir() });
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (command.kind === 'usage-error') {
    process.stderr.write(`minisql: ${command.message}\n${USAGE}\n`);
    return EXIT_USAGE_OR_CONNECT;
  }
  const { options } = command;
  let client: MiniSqlClient;
  try {
    client = await MiniSqlClient.connect({ regionAddress: options.regionAddress, statementTimeoutMs: options.statementTimeoutMs });
  } catch (error) {
    process.stderr.write(formatError(connectionError(error, options.regionAddress)));
    return EXIT_USAGE_OR_CONNECT;
  }
  try {
    return await run(client, options);
  } finally {
    client.close();
  }
}

async function run(client: MiniSqlClient, options: CliOptions): Promise<number> {
  const runner = new ScriptRunner({ executor: client, out: process.stdout, err: process.stderr, cwd: process.cwd() });
  if (options.execute !== null) {
    await runner.runScript(options.execute, COMMAND_LINE_ORIGIN);
  } else if (!process.stdin.isTTY) {
    await runner.runScript(await readAll(process.stdin), STDIN_ORIGIN);
  } else {
    await runRepl({
      runner,
      executor: client,
      input: process.stdin,
      output: process.stdout,
      err: process.stderr,
      address: client.address,
      historyFile: options.historyFile,
    });
    return EXIT_OK;
  }
  return runner.failures > 0 ? EXIT_STATEMENT_FAILED : EXIT_OK;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// A reader that went away (`minisql -e ... | head`) is no failure of ours: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  throw error;
});

// process.exitCode, not process.exit(): output piped to another program is flushed first.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatError(error));
    process.exitCode = EXIT_STATEMENT_FAILED;
  },
);
