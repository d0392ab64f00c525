import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliArgs, REGION_ADDRESS_DEFAULT, USAGE } from '../src/cli-args.js';
import { STATEMENT_TIMEOUT_MS_DEFAULT } from '../src/minisql-client.js';
import { MOVE_PROGRESS_INTERVAL_MS } from '../src/script-runner.js';

const ENV = { regionFromEnv: undefined, homeDir: '/home/ada' };

describe('parseCliArgs', () => {
  it('defaults to the local region, the prompt, ~/.minisql_history and the client timeout', () => {
    assert.deepEqual(parseCliArgs([], ENV), {
      kind: 'run',
      options: {
        target: { kind: 'region', address: REGION_ADDRESS_DEFAULT },
        execute: null,
        historyFile: '/home/ada/.minisql_history',
        certsDir: null,
        user: null,
        passwordFile: null,
        statementTimeoutMs: STATEMENT_TIMEOUT_MS_DEFAULT,
        format: 'table',
        progressIntervalMs: MOVE_PROGRESS_INTERVAL_MS,
      },
    });
    assert.equal(REGION_ADDRESS_DEFAULT, '127.0.0.1:7001');
  });

  it('takes the statements of -e and of --execute', () => {
    const short = parseCliArgs(['-e', 'select 1; select 2'], ENV);
    const long = parseCliArgs(['--execute=show tables'], ENV);
    assert.equal(short.kind === 'run' && short.options.execute, 'select 1; select 2');
    assert.equal(long.kind === 'run' && long.options.execute, 'show tables');
  });

  it('takes --region, --history and --timeout-ms', () => {
    const command = parseCliArgs(['--region', 'db1:7002', '--history', '/tmp/h', '--timeout-ms', '250'], ENV);
    assert.deepEqual(command, {
      kind: 'run',
      options: {
        target: { kind: 'region', address: 'db1:7002' },
        execute: null,
        historyFile: '/tmp/h',
        certsDir: null,
        user: null,
        passwordFile: null,
        statementTimeoutMs: 250,
        format: 'table',
        progressIntervalMs: 1_000,
      },
    });
  });

  it('takes the certificates folder from --certs-dir, else MINISQL_CERTS_DIR', () => {
    const fromFlag = parseCliArgs(['--certs-dir', '/etc/minisql/certs'], { ...ENV, certsDirFromEnv: '/elsewhere' });
    const fromEnv = parseCliArgs([], { ...ENV, certsDirFromEnv: '/elsewhere' });
    assert.equal(fromFlag.kind === 'run' && fromFlag.options.certsDir, '/etc/minisql/certs');
    assert.equal(fromEnv.kind === 'run' && fromEnv.options.certsDir, '/elsewhere');
  });

  it('takes the user and the password file from the flags, else the environment', () => {
    const fromFlags = parseCliArgs(['--user', 'ada', '--password-file', '/home/ada/.pw'], { ...ENV, userFromEnv: 'bob', passwordFileFromEnv: '/x' });
    const fromEnv = parseCliArgs([], { ...ENV, userFromEnv: 'bob', passwordFileFromEnv: '/x' });
    assert.deepEqual(fromFlags.kind === 'run' && [fromFlags.options.user, fromFlags.options.passwordFile], ['ada', '/home/ada/.pw']);
    assert.deepEqual(fromEnv.kind === 'run' && [fromEnv.options.user, fromEnv.options.passwordFile], ['bob', '/x']);
  });

  it('reads the region from MINISQL_REGION, and --region wins over it', () => {
    const env = { ...ENV, regionFromEnv: '10.0.0.5:7001' };
    const fromEnv = parseCliArgs([], env);
    const fromFlag = parseCliArgs(['--region', '[::1]:7009'], env);
    assert.deepEqual(fromEnv.kind === 'run' && fromEnv.options.target, { kind: 'region', address: '10.0.0.5:7001' });
    assert.deepEqual(fromFlag.kind === 'run' && fromFlag.options.target, { kind: 'region', address: '[::1]:7009' });
  });

  it('takes masters from --master or MINISQL_MASTER, and a configuration from --config or MINISQL_CONFIG', () => {
    const masters = parseCliArgs(['--master', 'm1:7000, m2:7000'], ENV);
    assert.deepEqual(masters.kind === 'run' && masters.options.target, { kind: 'masters', addresses: ['m1:7000', 'm2:7000'] });
    const config = parseCliArgs(['--config', 'c.yaml'], { ...ENV, masterFromEnv: 'm9:1' });
    assert.deepEqual(config.kind === 'run' && config.options.target, { kind: 'config', path: 'c.yaml' });
    const fromEnv = parseCliArgs([], { ...ENV, configFromEnv: 'env.yaml', regionFromEnv: 'r:1' });
    assert.deepEqual(fromEnv.kind === 'run' && fromEnv.options.target, { kind: 'config', path: 'env.yaml' });
    const bad = parseCliArgs(['--master', 'm1:7000,nope'], ENV);
    assert.match(bad.kind === 'usage-error' ? bad.message : '', /--master must be HOST:PORT/);
  });

  it('asks for help with -h and --help', () => {
    assert.deepEqual(parseCliArgs(['-h'], ENV), { kind: 'help' });
    assert.deepEqual(parseCliArgs(['--help', '-e', 'x'], ENV), { kind: 'help' });
  });

  it('refuses an unknown flag, naming it', () => {
    const command = parseCliArgs(['--bogus'], ENV);
    assert.equal(command.kind, 'usage-error');
    assert.match(command.kind === 'usage-error' ? command.message : '', /--bogus/);
  });

  it('refuses a stray argument, a flag without its value, and an empty -e', () => {
    assert.equal(parseCliArgs(['select 1'], ENV).kind, 'usage-error');
    assert.equal(parseCliArgs(['--region'], ENV).kind, 'usage-error');
    assert.equal(parseCliArgs(['-e', '  '], ENV).kind, 'usage-error');
  });

  it('refuses a region that is not HOST:PORT, naming where it came from', () => {
    const flag = parseCliArgs(['--region', 'localhost'], ENV);
    const env = parseCliArgs([], { ...ENV, regionFromEnv: 'db:99999' });
    assert.match(flag.kind === 'usage-error' ? flag.message : '', /^--region must be HOST:PORT.*"localhost"/);
    assert.match(env.kind === 'usage-error' ? env.message : '', /^MINISQL_REGION must be HOST:PORT.*"db:99999"/);
  });

  it('refuses a timeout or progress interval that is not a positive whole number of milliseconds, naming the flag', () => {
    for (const flag of ['--timeout-ms', '--progress-ms']) {
      for (const bad of ['0', '-5', '1.5', 'soon']) {
        const command = parseCliArgs([`${flag}=${bad}`], ENV);
        assert.match(command.kind === 'usage-error' ? command.message : '', new RegExp(`^${flag} must be a whole number`), `${flag}=${bad}`);
      }
    }
    const taken = parseCliArgs(['--progress-ms', '200'], ENV);
    assert.equal(taken.kind === 'run' && taken.options.progressIntervalMs, 200);
  });

  it('has a usage text that mentions every flag', () => {
    for (const flag of ['--region', '-e, --execute', '--history', '--timeout-ms', '--progress-ms', '-h, --help', 'MINISQL_REGION']) {
      assert.ok(USAGE.includes(flag), flag);
    }
  });

  it('takes --format table|vertical|csv|tsv|json and refuses any other, naming the choices', () => {
    for (const format of ['table', 'vertical', 'csv', 'tsv', 'json']) {
      const command = parseCliArgs(['--format', format], { regionFromEnv: undefined, homeDir: '/h' });
      assert.equal(command.kind === 'run' && command.options.format, format);
    }
    const refused = parseCliArgs(['--format', 'xml'], { regionFromEnv: undefined, homeDir: '/h' });
    assert.equal(refused.kind, 'usage-error');
    assert.match(refused.kind === 'usage-error' ? refused.message : '', /--format takes table, vertical, csv, tsv, json, not "xml"/);
  });

  it('answers --version and -V', () => {
    assert.deepEqual(parseCliArgs(['--version'], { regionFromEnv: undefined, homeDir: '/h' }), { kind: 'version' });
    assert.deepEqual(parseCliArgs(['-V'], { regionFromEnv: undefined, homeDir: '/h' }), { kind: 'version' });
  });
});
