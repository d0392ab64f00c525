import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_LINE_ORIGIN, EXECFILE_PROGRESS_THRESHOLD_STATEMENTS, ScriptRunner, STDIN_ORIGIN, TYPED_ORIGIN } from '../src/script-runner.js';
import { FakeDatabase, steppingClock, TextCollector } from './support/fake-database.js';
import type { ClusterStatusResponse__Output } from '@minisql/common';
import type { QueryResult } from '@minisql/wire';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minisql-runner-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(errIsTTY = false): { db: FakeDatabase; out: TextCollector; err: TextCollector; runner: ScriptRunner } {
  const db = new FakeDatabase();
  const out = new TextCollector();
  const err = new TextCollector(errIsTTY);
  const runner = new ScriptRunner({ executor: db, out, err, cwd: dir, now: steppingClock(1) });
  return { db, out, err, runner };
}

describe('ScriptRunner with typed statements', () => {
  it('runs every statement of a line, prints each result, and keeps going after an error', async () => {
    const { db, out, err, runner } = setup();
    await runner.runScript('create table t (v int); insert into t values (7); select * from missing; select * from t;', TYPED_ORIGIN);
    assert.deepEqual(db.executed, ['create table t (v int)', 'insert into t values (7)', 'select * from missing', 'select * from t']);
    assert.equal(err.text, 'ERROR TABLE_NOT_FOUND: table `missing` does not exist\n');
    assert.match(out.text, /^Query OK, 0 rows affected \(1\.0 ms\)\ntable `t` created\n\nQuery OK, 1 row affected \(1\.0 ms\)\n\n\+---\+/);
    assert.match(out.text, /^\| 7 \|$/m);
    assert.equal(runner.failures, 1);
  });

  it('runs a last statement that lacks its semicolon, as -e "select 1" expects', async () => {
    const { db, runner } = setup();
    await runner.runScript('create table t (v int); select * from t', COMMAND_LINE_ORIGIN);
    assert.deepEqual(db.executed, ['create table t (v int)', 'select * from t']);
  });

  it('stops at quit and at exit, in any case, running nothing after them', async () => {
    for (const word of ['quit', 'EXIT', 'Quit']) {
      const { db, runner } = setup();
      const outcome = await runner.runScript(`create table t (v int); ${word}; select * from t;`, TYPED_ORIGIN);
      assert.equal(outcome, 'quit', word);
      assert.deepEqual(db.executed, ['create table t (v int)'], word);
    }
  });

  it('prints help without sending anything to the server', async () => {
    const { db, out, runner } = setup();
    await runner.runScript('HELP;', TYPED_ORIGIN);
    assert.deepEqual(db.executed, []);
    assert.match(out.text, /execfile FILE;/);
    assert.match(out.text, /quit; exit;/);
  });

  it('shows the line of a failed statement for standard-input scripts', async () => {
    const { err, runner } = setup();
    await runner.runScript('create table t (v int);\n\n-- a comment\nselect * from nope;\n', STDIN_ORIGIN);
    assert.equal(err.text, 'ERROR at line 4: TABLE_NOT_FOUND: table `nope` does not exist\n');
  });

  it('reports a script that cannot be split as one failure at the line of the bad character', async () => {
    const { db, err, runner } = setup();
    await runner.runScript('create table t (v int);\nselect # from t;', STDIN_ORIGIN);
    assert.deepEqual(db.executed, []);
    assert.match(err.text, /^ERROR at line 2: SYNTAX_ERROR: syntax error near `#`/);
    assert.equal(runner.failures, 1);
  });

  it('tells the REPL once when a table was created or dropped', async () => {
    const { runner } = setup();
    await runner.runScript('create table t (v int);', TYPED_ORIGIN);
    assert.equal(runner.takeSchemaChange(), true);
    assert.equal(runner.takeSchemaChange(), false);
    await runner.runScript('insert into t values (1);', TYPED_ORIGIN);
    assert.equal(runner.takeSchemaChange(), false);
  });
});

describe('ScriptRunner execfile', () => {
  it('runs a file, hides successful writes, shows selects, and reports failures with file lines and a summary', async () => {
    await writeFile(
      join(dir, 'load.sql'),
      [
        'create table t (v int);',
        'insert into t values (1);',
        'insert into t',
        '  values (2);',
        'select * from nope;',
        'select * from t;',
        'bogus statement;',
        '',
      ].join('\n'),
    );
    const { db, out, err, runner } = setup();
    await runner.runScript('execfile load.sql;', TYPED_ORIGIN);
    assert.equal(db.executed.length, 6);
    assert.equal(db.executed[2], 'insert into t\n  values (2)');
    assert.equal(
      err.text,
      'ERROR at line 5 of load.sql: TABLE_NOT_FOUND: table `nope` does not exist\n' +
        'ERROR at line 7 of load.sql: SYNTAX_ERROR: syntax error near `bogus` at line 1, column 1\n',
    );
    assert.doesNotMatch(out.text, /Query OK/);
    assert.match(out.text, /^\| 1 \|\n\| 2 \|$/m);
    assert.match(out.text, /^execfile load\.sql: 6 statements, 4 OK, 2 failed \(\d+\.\d ms\)$/m);
    assert.equal(runner.failures, 2);
  });

  it('accepts the file name in quotes and the keyword in any case', async () => {
    await writeFile(join(dir, 'my file.sql'), 'create table q (v int);');
    const { db, out, runner } = setup();
    await runner.runScript("EXECFILE 'my file.sql';", TYPED_ORIGIN);
    assert.deepEqual(db.executed, ['create table q (v int)']);
    assert.match(out.text, /^execfile my file\.sql: 1 statement, 1 OK, 0 failed/m);
  });

  it('reports a missing file as FILE_ERROR naming the file, and counts it as a failure', async () => {
    const { db, err, runner } = setup();
    await runner.runScript('execfile nowhere.sql;', TYPED_ORIGIN);
    assert.deepEqual(db.executed, []);
    assert.equal(err.text, 'ERROR FILE_ERROR: cannot read file `nowhere.sql`: no such file\n');
    assert.equal(runner.failures, 1);
  });

  it('refuses execfile without a file name', async () => {
    const { err, runner } = setup();
    await runner.runScript('execfile;', TYPED_ORIGIN);
    assert.match(err.text, /^ERROR INVALID_ARGUMENT: invalid execfile: expected a file name/);
  });

  it('stops the file and everything after it at a quit inside the file', async () => {
    await writeFile(join(dir, 'quits.sql'), 'create table a (v int);\nquit;\ncreate table b (v int);\n');
    const { db, runner } = setup();
    const outcome = await runner.runScript('execfile quits.sql; create table c (v int);', TYPED_ORIGIN);
    assert.equal(outcome, 'quit');
    assert.deepEqual(db.executed, ['create table a (v int)']);
  });

  it('refuses a file that runs itself once nesting gets too deep, instead of looping forever', async () => {
    await writeFile(join(dir, 'self.sql'), 'execfile self.sql;\n');
    const { db, err, runner } = setup();
    await runner.runScript('execfile self.sql;', TYPED_ORIGIN);
    assert.deepEqual(db.executed, []);
    assert.match(err.text, /^ERROR at line 1 of self\.sql: FILE_ERROR: cannot read file `self\.sql`: execfile is nested more than 16 files deep/);
    assert.equal(runner.failures, 1);
  });

  it('shows progress on a terminal for files over the threshold, and erases it before the summary', async () => {
    const count = EXECFILE_PROGRESS_THRESHOLD_STATEMENTS + 200;
    await writeFile(join(dir, 'big.sql'), `create table big (v int);\n${'insert into big values (1);\n'.repeat(count - 1)}`);
    const { out, err, runner } = setup(true);
    await runner.runScript('execfile big.sql;', TYPED_ORIGIN);
    assert.equal(err.text, `\r\x1b[Kexecfile big.sql: 500/${count} statements\r\x1b[Kexecfile big.sql: 1000/${count} statements\r\x1b[K`);
    assert.match(out.text, new RegExp(`^execfile big\\.sql: ${count} statements, ${count} OK, 0 failed`));
  });

  it('shows no progress when standard error is not a terminal', async () => {
    const count = EXECFILE_PROGRESS_THRESHOLD_STATEMENTS + 1;
    await writeFile(join(dir, 'big2.sql'), `create table big (v int);\n${'insert into big values (1);\n'.repeat(count - 1)}`);
    const { err, runner } = setup(false);
    await runner.runScript('execfile big2.sql;', TYPED_ORIGIN);
    assert.equal(err.text, '');
  });
});

describe('ScriptRunner while a table moves', () => {
  it('reports each move under way on standard error while `move table` runs, and stops when it answers', async () => {
    const out = new TextCollector();
    const err = new TextCollector();
    let answer: () => void = () => undefined;
    let entries = 0;
    const executor = {
      execute: (sql: string) =>
        new Promise<QueryResult>((resolve) => {
          answer = () =>
            resolve({ kind: 'move_table', columns: [], rows: [], rowsAffected: 0, message: `${sql}: done`, truncated: false } as unknown as QueryResult);
        }),
      clusterStatus: async () => {
        entries += 100;
        return {
          master_id: 'master1',
          regions: [],
          groups: [],
          tables: [],
          moves: [{ table: 'orders', from_group: 'g1', to_group: 'g2', phase: 'catching-up', bytes: 2e6, entries, started_at_ms: Date.now() }],
        } as unknown as ClusterStatusResponse__Output;
      },
    };
    const runner = new ScriptRunner({ executor, out, err, cwd: dir, now: steppingClock(1), moveProgressIntervalMs: 10 });
    const running = runner.runScript('move table orders to g2;', TYPED_ORIGIN);
    for (let wait = 0; wait < 1_000 && !err.text.includes('200 entries since'); wait++) await new Promise((resolve) => setTimeout(resolve, 5));
    answer();
    await running;
    assert.match(err.text, /^progress: table orders from g1 to g2: catching-up: 2\.0 MB copied, 100 entries since, for \d\.\d s$/m);
    const lines = err.text.split('\n').length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(err.text.split('\n').length, lines, 'progress went on after the statement answered');
    assert.match(out.text, /move table orders to g2: done/);
  });

  it('reports nothing for other statements', async () => {
    const { err, runner } = setup();
    await runner.runScript('create table t (v int);', TYPED_ORIGIN);
    assert.equal(err.text, '');
  });
});
