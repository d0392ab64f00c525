#!/usr/bin/env node
/**
 * The `minisql` command. The only file that reads process.argv, the environment and the
 * standard streams; everything it calls takes them as arguments.
 *   minisql [--region HOST:PORT] [-e SQL] [--history FILE] [--timeout-ms N]
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { CLIENT_CERT_NAME, errors, loadClusterConfig, loadTlsIdentity, masterAddresses, hideIpServerNameWarning } from '@minisql/common';
import { parseCliArgs, USAGE, type CliOptions } from './cli-args.js';
import { ClusterClient } from './cluster-client.js';
import { connectionError } from './connection-error.js';
import { MiniSqlClient } from './minisql-client.js';
import { runRepl } from './repl.js';
import { formatError } from './result-format.js';
import { COMMAND_LINE_ORIGIN, ScriptRunner, STDIN_ORIGIN } from './script-runner.js';

hideIpServerNameWarning();

const EXIT_OK = 0;
const EXIT_STATEMENT_FAILED = 1;
const EXIT_USAGE_OR_CONNECT = 2;

async function main(): Promise<number> {
  const command = parseCliArgs(process.argv.slice(2), {
    regionFromEnv: process.env.MINISQL_REGION,
    masterFromEnv: process.env.MINISQL_MASTER,
    configFromEnv: process.env.MINISQL_CONFIG,
    certsDirFromEnv: process.env.MINISQL_CERTS_DIR,
    userFromEnv: process.env.MINISQL_USER,
    passwordFileFromEnv: process.env.MINISQL_PASSWORD_FILE,
    homeDir: homedir(),
  });
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (command.kind === 'version') {
    process.stdout.write(`minisql ${clientVersion()}\n`);
    return EXIT_OK;
  }
  if (command.kind === 'usage-error') {
    process.stderr.write(`minisql: ${command.message}\n${USAGE}\n`);
    return EXIT_USAGE_OR_CONNECT;
  }
  const { options } = command;
  let client: Client;
  try {
    client = await connect(options);
  } catch (error) {
    const target = options.target;
    process.stderr.write(formatError(target.kind === 'region' ? connectionError(error, target.address) : error));
    return EXIT_USAGE_OR_CONNECT;
  }
  try {
    return await run(client, options);
  } finally {
    client.close();
  }
}

type Client = MiniSqlClient | ClusterClient;

/** The version of this package, from its package.json. */
function clientVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

/** A region directly, or the cluster through its masters (from --master or the configuration). */
async function connect(options: CliOptions): Promise<Client> {
  const { target, statementTimeoutMs } = options;
  const config = target.kind === 'config' ? loadClusterConfig(target.path) : undefined;
  const certsDir = options.certsDir ?? (config?.tls ? config.certsDir : null);
  const tls = certsDir === null ? undefined : loadTlsIdentity(certsDir, CLIENT_CERT_NAME);
  const login = options.user === null ? undefined : { user: options.user, password: await readPassword(options.user, options.passwordFile) };
  if (login && !tls)
    throw errors.invalidArgument('--user', 'a password is sent only over TLS: give the certificates (--certs-dir, or a configuration with tls on)');
  const security = { ...(tls ? { tls } : {}), ...(login ? { login } : {}) };
  if (target.kind === 'region') return MiniSqlClient.connect({ regionAddress: target.address, statementTimeoutMs, ...security });
  const masterAddressList = config ? masterAddresses(config) : target.kind === 'masters' ? target.addresses : [];
  return ClusterClient.connect({
    masterAddresses: masterAddressList,
    ...security,
    statementTimeoutMs,
    consistency: options.readReplica ? 'replica' : 'primary',
    onRetry: (error, attempt) => {
      if (attempt === 1) process.stderr.write(`(the cluster is failing over: ${error.code}; retrying)\n`);
    },
  });
}

async function run(client: Client, options: CliOptions): Promise<number> {
  const runner = new ScriptRunner({
    executor: client,
    out: process.stdout,
    err: process.stderr,
    cwd: process.cwd(),
    format: options.format,
    moveProgressIntervalMs: options.progressIntervalMs,
  });
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

/** The password of `user`: $MINISQL_PASSWORD, else the password file (mode 600 only), else asked on the terminal without echo. */
async function readPassword(user: string, passwordFile: string | null): Promise<string> {
  if (process.env.MINISQL_PASSWORD !== undefined) return process.env.MINISQL_PASSWORD;
  if (passwordFile !== null) {
    let mode: number;
    try {
      mode = statSync(passwordFile).mode & 0o777;
    } catch (error) {
      throw errors.fileError(passwordFile, (error as Error).message);
    }
    if ((mode & 0o077) !== 0)
      throw errors.invalidArgument('--password-file', `${passwordFile} can be read by others (mode ${mode.toString(8)}): chmod 600 ${passwordFile}`);
    return readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) throw errors.invalidArgument('--user', `no password for ${user}: set MINISQL_PASSWORD or give --password-file`);
  return promptHidden(`password for ${user}: `);
}

/** Reads one line from the terminal without showing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') process.exit(130);
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
  });
}
