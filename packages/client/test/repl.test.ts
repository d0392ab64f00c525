import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadHistory } from '../src/history-file.js';
import { runRepl } from '../src/repl.js';
import { ScriptRunner } from '../src/script-runner.js';
import { FakeDatabase, TextCollector } from './support/fake-database.js';

/** How long to wait for the REPL to show something before the test fails. */
const SHOW_TIMEOUT_MS = 2_000;
const POLL_INTERVAL_MS = 5;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minisql-repl-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A REPL on in-memory streams, as a terminal would drive it (Enter is "\r"). */
function startRepl(historyFile: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const db = new FakeDatabase();
  const err = new TextCollector();
  const runner = new ScriptRunner({ executor: db, out: output, err, cwd: dir });
  const finished = runRepl({ runner, executor: db, input, output, err, address: 'test-region:7001', historyFile });
  const type = async (keys: string, until: RegExp): Promise<void> => {
    input.write(keys);
    for (let waited = 0; !until.test(shown) && waited < SHOW_TIMEOUT_MS; waited += POLL_INTERVAL_MS) await sleep(POLL_INTERVAL_MS);
    assert.match(shown, until);
  };
  return { db, err, finished, type, shown: () => shown };
}

describe('runRepl', () => {
  it('shows the banner, continues unfinished statements, completes a new table name, and saves history', async () => {
    const historyFile = join(dir, 'history-1');
    const repl = startRepl(historyFile);
    await repl.type('', /Connected to minisql at test-region:7001\. Type help; for help, quit; to leave\.\n/);
    await repl.type('create table\r', / {5}-> /);
    await repl.type('  zebra (v int);\r', /table `zebra` created/);
    await repl.type('select * from ze\t', /ze(\x1b\[\d*G)?bra/);
    await repl.type('; select * from zebra;\r', /Empty set[^]*Empty set/);
    await repl.type('quit\r', /Bye/);
    await repl.finished;
    // "show tables" and a describe per table feed completion: once at the start, once after the create.
    assert.deepEqual(repl.db.executed, [
      'show tables',
      'create table\n  zebra (v int)',
      'show tables',
      'describe zebra',
      'select * from zebra',
      'select * from zebra',
    ]);
    assert.deepEqual(await loadHistory(historyFile), ['create table zebra (v int);', 'select * from zebra; select * from zebra;', 'quit']);
  });

  it("completes a column of the table the statement names, from that table's describe", async () => {
    const repl = startRepl(join(dir, 'history-columns'));
    await repl.type('create table zebra (v int);\r', /table `zebra` created/);
    await repl.type('select * from zebra where \t', /where (\x1b\[\d*G)?v/);
    await repl.type('\x03', /\^C\n/);
    await repl.type('quit;\r', /Bye/);
    await repl.finished;
  });

  it('clears an unfinished statement on Ctrl-C without running or saving it', async () => {
    const historyFile = join(dir, 'history-2');
    const repl = startRepl(historyFile);
    await repl.type('select * from\r', / {5}-> /);
    await repl.type('\x03', /\^C\n/);
    await repl.type('quit;\r', /Bye/);
    await repl.finished;
    assert.deepEqual(repl.db.executed, ['show tables']);
    assert.deepEqual(await loadHistory(historyFile), ['quit;']);
  });

  it('leaves on a second Ctrl-C on an empty line, after saying how to leave', async () => {
    const repl = startRepl(join(dir, 'history-3'));
    await repl.type('', /minisql> /);
    await repl.type('\x03', /To leave, press Ctrl-C again/);
    await repl.type('\x03', /Bye/);
    await repl.finished;
  });

  it('prints errors with their code and keeps prompting', async () => {
    const repl = startRepl(join(dir, 'history-4'));
    await repl.type('select * from nope;\r', /minisql> [^]*minisql> /);
    await repl.type('exit\r', /Bye/);
    await repl.finished;
    assert.equal(repl.err.text, 'ERROR TABLE_NOT_FOUND: table `nope` does not exist\n');
  });
});
