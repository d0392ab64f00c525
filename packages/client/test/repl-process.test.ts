/**
 * The client program end to end: real region process, real client process, driven the
 * way people use it (-e, piped scripts, execfile, an interactive session on a pipe).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReadyProcess } from '@minisql/common';

const here = dirname(fileURLToPath(import.meta.url));
const CLIENT_MAIN = join(here, '..', 'src', 'main.js');
const REGION_MAIN = join(here, '..', '..', '..', 'region', 'dist', 'src', 'main.js');
/** Bound on any one client run, so a hung client fails the test instead of the suite. */
const CLIENT_RUN_TIMEOUT_MS = 60_000;

let region: ReadyProcess;
let workDir: string;

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runClient(args: string[], stdin = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_MAIN, '--region', region.address, '--history', join(workDir, 'history'), ...args], {
      cwd: workDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`client did not finish in ${CLIENT_RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, CLIENT_RUN_TIMEOUT_MS);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'minisql-client-'));
  region = await ReadyProcess.start({
    script: REGION_MAIN,
    args: ['--id', 'client-test', '--listen', '127.0.0.1:0', '--data-dir', join(workDir, 'data')],
    env: { ...process.env, MINISQL_LOG_LEVEL: 'warn' },
  });
});
after(async () => {
  await region.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the minisql client program', () => {
  it('runs several statements given with -e on one line and prints aligned tables', async () => {
    const result = await runClient(['-e', "create table t (a int primary key, b char(8)); insert into t values (1, 'x'), (22, 'yy'); select * from t;"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Query OK, 2 rows affected \(\d+(\.\d+)? (ms|s)\)/);
    assert.match(result.stdout, /\| {2}1 \| x {2}\|/);
    assert.match(result.stdout, /\| 22 \| yy \|/);
    assert.match(result.stdout, /2 rows in set \(/);
  });

  it('prints results as CSV, TSV, JSON lines or vertically with --format, for scripts and wide rows', async () => {
    await runClient(['-e', "create table fmt (id int primary key, note char(32)); insert into fmt values (1, 'plain'), (2, 'a, \"quoted\"\ttab');"]);
    const select = 'select id, note from fmt order by id;';
    const csv = await runClient(['--format', 'csv', '-e', select]);
    assert.equal(csv.status, 0, csv.stderr);
    assert.equal(csv.stdout, 'id,note\r\n1,plain\r\n2,"a, ""quoted""\ttab"\r\n');
    const tsv = await runClient(['--format', 'tsv', '-e', select]);
    assert.equal(tsv.stdout, 'id\tnote\n1\tplain\n2\ta, "quoted"\\ttab\n');
    const json = await runClient(['--format', 'json', '-e', `${select} insert into fmt values (3, 'x');`]);
    assert.deepEqual(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
      [
        {
          columns: ['id', 'note'],
          rows: [
            [1, 'plain'],
            [2, 'a, "quoted"\ttab'],
          ],
        },
        { rowsAffected: 1 },
      ],
    );
    const vertical = await runClient(['--format', 'vertical', '-e', 'select id, note from fmt where id = 1;']);
    assert.match(vertical.stdout, /^\*{27} 1\. row \*{27}\n {2}id: 1\nnote: plain\n1 row in set \(/);
    // A statement ended by \G prints vertically, the next by ; as a table again (as MySQL's client does).
    const mixed = await runClient(['-e', 'select id, note from fmt where id = 1\\G select id from fmt where id = 1;']);
    assert.equal(mixed.status, 0, mixed.stderr);
    assert.match(mixed.stdout, /^\*{27} 1\. row \*{27}\n {2}id: 1\nnote: plain\n1 row in set \([^)]*\)\n\n\+----\+\n\| id \|\n/);
  });

  it('prints its version', async () => {
    const result = await runClient(['--version']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^minisql \d+\.\d+\.\d+\n$/);
  });

  it('exits with status 1 and prints the code and reason when a statement fails', async () => {
    const result = await runClient(['-e', 'select * from missing;']);
    assert.equal(result.status, 1);
    assert.match(result.stdout + result.stderr, /ERROR TABLE_NOT_FOUND: table `missing` does not exist/);
  });

  it('runs a script piped on stdin, with statements over several lines and comments', async () => {
    const script = '-- a comment\nselect\n  b\nfrom t\nwhere a = 22; /* done */\nselect * from t where a = 99;\n';
    const result = await runClient([], script);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /\| yy \|/);
    assert.match(result.stdout, /Empty set \(/);
  });

  it('runs execfile of three thousand inserts and reports the count', async () => {
    const lines = ['create table bulk (id int primary key, v char(10));'];
    for (let i = 0; i < 3_000; i += 1) lines.push(`insert into bulk values (${i}, 'v${i}');`);
    writeFileSync(join(workDir, 'bulk.sql'), lines.join('\n'));
    const result = await runClient(['-e', 'execfile bulk.sql; select count(*) from bulk;']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /3001 statements, 3001 OK, 0 failed/);
    assert.match(result.stdout, /\| +3000 \|/);
  });

  it('runs a file with source, as MySQL names execfile', async () => {
    writeFileSync(join(workDir, 'sourced.sql'), 'create table sourced (id int primary key);\ninsert into sourced values (1), (2);\n');
    const result = await runClient(['-e', 'source sourced.sql; select count(*) from sourced;']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /2 statements, 2 OK, 0 failed/);
    assert.match(result.stdout, /\| +2 \|/);
  });

  it('reports a failing statement of an execfile with its line, and a missing file by name', async () => {
    writeFileSync(join(workDir, 'bad.sql'), "insert into t values (5, 'ok');\n\ninsert into t values (5, 'dup');\n");
    const result = await runClient(['-e', 'execfile bad.sql;']);
    assert.equal(result.status, 1);
    assert.match(result.stdout + result.stderr, /line 3 of bad\.sql/);
    assert.match(result.stdout + result.stderr, /DUPLICATE_KEY/);
    const missing = await runClient(['-e', 'execfile nowhere.sql;']);
    assert.equal(missing.status, 1);
    assert.match(missing.stdout + missing.stderr, /FILE_ERROR: cannot read file `nowhere\.sql`/);
  });

  it('stops at quit and runs nothing after it', async () => {
    const result = await runClient([], "insert into t values (7, 'q');\nquit;\ninsert into t values (8, 'never');\n");
    assert.equal(result.status, 0, result.stderr);
    const check = await runClient(['-e', 'select a from t where a in (7, 8);']);
    assert.match(check.stdout, /1 row in set/);
  });

  it('fails with status 2 and names the address when no server answers', async () => {
    const child = await new Promise<RunResult>((resolve) => {
      const proc = spawn(process.execPath, [CLIENT_MAIN, '--region', '127.0.0.1:1', '-e', 'select 1;'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
      proc.on('exit', (status) => resolve({ status, stdout: output, stderr: '' }));
    });
    assert.equal(child.status, 2);
    assert.match(child.stdout, /UNAVAILABLE.*127\.0\.0\.1:1/);
  });
});
