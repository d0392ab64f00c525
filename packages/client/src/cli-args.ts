/**
 * The command line of `minisql`, parsed without touching the process: main.ts passes
 * argv, the environment variable and the home directory in.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STATEMENT_TIMEOUT_MS_DEFAULT } from './minisql-client.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';
import { MOVE_PROGRESS_INTERVAL_MS } from './script-runner.js';

export const REGION_ADDRESS_DEFAULT = '127.0.0.1:7001';
/** The history file's name in the home directory. */
export const HISTORY_FILE_NAME = '.minisql_history';

export const USAGE = `usage: minisql [options]
  --config FILE        cluster configuration: talk to its masters (default $MINISQL_CONFIG)
  --master ADDRS       master addresses, HOST:PORT[,HOST:PORT...] (default $MINISQL_MASTER)
  --region HOST:PORT   talk to one region directly, without a master
                       (default $MINISQL_REGION, else ${REGION_ADDRESS_DEFAULT} when no master is given)
  --certs-dir DIR      the cluster's certificates: ca.crt and client.crt/.key (default
                       $MINISQL_CERTS_DIR, else the configuration's certsDir); with
                       --master or --region and neither, the connection is plaintext
  --user NAME          log in as NAME (default $MINISQL_USER); the password comes from
                       $MINISQL_PASSWORD, else --password-file (default $MINISQL_PASSWORD_FILE,
                       a file of mode 600), else a prompt; it is sent only over TLS
  -e, --execute SQL    run the statements in SQL and exit (the last ; may be left out)
  --read-replica       serve selects from a replica: faster to reach, possibly stale (marked so)
  --history FILE       history file of the interactive prompt (default ~/${HISTORY_FILE_NAME})
  --timeout-ms N       time a statement may take, in milliseconds (default ${STATEMENT_TIMEOUT_MS_DEFAULT})
  --progress-ms N      how often a running move table or rebalance prints its progress,
                       in milliseconds (default ${MOVE_PROGRESS_INTERVAL_MS})
  --format F           how results print: table (default), vertical (a column a line, as
                       MySQL's \\G), csv, tsv (header and rows only) or json (a line per statement)
  -V, --version        print the version and exit
  -h, --help           show this help

Without -e, a terminal on standard input gets the interactive prompt; otherwise standard
input is read to its end and run as a script.
Client commands: execfile FILE; status; help; quit; exit;
Exit status: 0 when every statement succeeded, 1 when any failed, 2 for a bad command
line or a server that cannot be reached.`;

/** What the client talks to. */
export type CliTarget = { kind: 'region'; address: string } | { kind: 'masters'; addresses: string[] } | { kind: 'config'; path: string };

export interface CliOptions {
  target: CliTarget;
  /** Statements given with -e, or null for the prompt or standard input. */
  execute: string | null;
  historyFile: string;
  /** Where the client certificate is (--certs-dir or $MINISQL_CERTS_DIR); null: the configuration's, or plaintext. */
  certsDir: string | null;
  /** The user to log in as (--user or $MINISQL_USER), or null. */
  user: string | null;
  /** Where the password is (--password-file or $MINISQL_PASSWORD_FILE), or null. */
  passwordFile: string | null;
  statementTimeoutMs: number;
  /** Selects from a replica (stale allowed) instead of the primary. */
  readReplica?: boolean;
  /** How results print (default table). */
  format: OutputFormat;
  /** How often a running `move table` or `rebalance` prints its progress, in milliseconds. */
  progressIntervalMs: number;
}

export type CliCommand = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'version' } | { kind: 'usage-error'; message: string };

/** What the command line depends on besides argv. */
export interface CliEnvironment {
  /** $MINISQL_REGION. */
  regionFromEnv: string | undefined;
  /** $MINISQL_MASTER. */
  masterFromEnv?: string | undefined;
  /** $MINISQL_CONFIG. */
  configFromEnv?: string | undefined;
  /** $MINISQL_CERTS_DIR. */
  certsDirFromEnv?: string | undefined;
  /** $MINISQL_USER and $MINISQL_PASSWORD_FILE. */
  userFromEnv?: string | undefined;
  passwordFileFromEnv?: string | undefined;
  homeDir: string;
}

export function parseCliArgs(argv: readonly string[], environment: CliEnvironment): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        region: { type: 'string' },
        master: { type: 'string' },
        config: { type: 'string' },
        'certs-dir': { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        execute: { type: 'string', short: 'e' },
        'read-replica': { type: 'boolean' },
        history: { type: 'string' },
        'timeout-ms': { type: 'string' },
        'progress-ms': { type: 'string' },
        format: { type: 'string' },
        version: { type: 'boolean', short: 'V' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const format = values.format ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    return { kind: 'usage-error', message: `--format takes ${OUTPUT_FORMATS.join(', ')}, not "${format}"` };
  }

  const target = chooseTarget(values, environment);
  if ('message' in target) return { kind: 'usage-error', message: target.message };

  if (values.execute !== undefined && values.execute.trim() === '') {
    return { kind: 'usage-error', message: '-e needs the statements to run, as in -e "show tables"' };
  }

  const statementTimeoutMs = milliseconds('--timeout-ms', values['timeout-ms'], STATEMENT_TIMEOUT_MS_DEFAULT);
  if (typeof statementTimeoutMs === 'string') return { kind: 'usage-error', message: statementTimeoutMs };
  const progressIntervalMs = milliseconds('--progress-ms', values['progress-ms'], MOVE_PROGRESS_INTERVAL_MS);
  if (typeof progressIntervalMs === 'string') return { kind: 'usage-error', message: progressIntervalMs };

  return {
    kind: 'run',
    options: {
      target,
      execute: values.execute ?? null,
      historyFile: values.history ?? join(environment.homeDir, HISTORY_FILE_NAME),
      certsDir: values['certs-dir'] ?? environment.certsDirFromEnv ?? null,
      user: values.user ?? environment.userFromEnv ?? null,
      passwordFile: values['password-file'] ?? environment.passwordFileFromEnv ?? null,
      statementTimeoutMs,
      format: format as OutputFormat,
      progressIntervalMs,
      ...(values['read-replica'] ? { readReplica: true } : {}),
    },
  };
}

/** A flag's whole number of milliseconds above 0 (`fallback` when not given), or why it is refused. */
function milliseconds(flag: string, text: string | undefined, fallback: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) return `${flag} must be a whole number of milliseconds above 0, got "${text}"`;
  return value;
}

/**
 * Flags win over the environment; a region given by flag wins over masters, since it is
 * the more specific request. Without anything, the default region address is used.
 */
function chooseTarget(
  values: { region?: string | undefined; master?: string | undefined; config?: string | undefined },
  environment: CliEnvironment,
): CliTarget | { message: string } {
  const region = (address: string, source: string): CliTarget | { message: string } =>
    isHostPort(address) ? { kind: 'region', address } : { message: `${source} must be HOST:PORT with a port from 1 to 65535, got "${address}"` };
  const masters = (list: string, source: string): CliTarget | { message: string } => {
    const addresses = list
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const bad = addresses.find((a) => !isHostPort(a));
    if (addresses.length === 0 || bad !== undefined) return { message: `${source} must be HOST:PORT[,HOST:PORT...], got "${list}"` };
    return { kind: 'masters', addresses };
  };
  if (values.region !== undefined) return region(values.region, '--region');
  if (values.master !== undefined) return masters(values.master, '--master');
  if (values.config !== undefined) return { kind: 'config', path: values.config };
  if (environment.masterFromEnv) return masters(environment.masterFromEnv, 'MINISQL_MASTER');
  if (environment.configFromEnv) return { kind: 'config', path: environment.configFromEnv };
  return region(environment.regionFromEnv || REGION_ADDRESS_DEFAULT, 'MINISQL_REGION');
}

const PORT_MAX = 65535;

/** `host:port` or `[ipv6]:port`, the form gRPC takes. */
function isHostPort(address: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(address);
  if (!match) return false;
  const port = Number(match[2]);
  return port >= 1 && port <= PORT_MAX;
}
