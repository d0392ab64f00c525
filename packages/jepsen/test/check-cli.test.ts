/** `minisql-jepsen check` as a user runs it: a real process, a history file, an exit status. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'jepsen-check-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A write of 1, then a CAS from 1 to 2 that fails although nothing else ran. */
const FAILED_CAS_ON_MATCH = [
  '{:type :invoke, :f :write, :value 1, :process 0, :time 1}',
  '{:type :ok, :f :write, :value 1, :process 0, :time 2}',
  '{:type :invoke, :f :cas, :value [1 2], :process 0, :time 3}',
  '{:type :fail, :f :cas, :value [1 2], :process 0, :time 4}',
].join('\n');

function check(...args: string[]) {
  const file = join(dir, 'history.edn');
  writeFileSync(file, FAILED_CAS_ON_MATCH);
  return spawnSync(process.execPath, [MAIN, 'check', file, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('minisql-jepsen check --failed-cas', () => {
  it('by default a failed CAS changed nothing, so the history is valid (exit 0)', () => {
    const run = check();
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /failed-cas no-effect/);
  });

  it('with observes-mismatch the failed CAS read a value other than 1, which no order allows (exit 1)', () => {
    const run = check('--failed-cas', 'observes-mismatch');
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /:valid\? false/);
    assert.match(run.stdout, /failed-cas observes-mismatch/);
  });

  it('refuses an unknown rule, and the flag on a model without CAS (exit 2, naming the value)', () => {
    const unknown = check('--failed-cas', 'maybe');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--failed-cas takes no-effect or observes-mismatch, not maybe/);
    const register = check('--model', 'register', '--failed-cas', 'no-effect');
    assert.equal(register.status, 2);
    assert.match(register.stderr, /applies to the cas-register model, not register/);
  });
});

describe('minisql-jepsen help', () => {
  for (const command of ['run', 'check', 'hosts']) {
    it(`${command} --help prints the usage with its flags and exits 0`, () => {
      const run = spawnSync(process.execPath, [MAIN, command, '--help'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /run flags/);
      assert.match(run.stdout, /check flags/);
    });
  }

  it('an unknown flag is refused naming it, with where the flags are listed (exit 2)', () => {
    const run = spawnSync(process.execPath, [MAIN, 'run', '--tyme-limit', '5'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /Unknown option '--tyme-limit'/);
    assert.match(run.stderr, /minisql-jepsen --help lists the flags/);
  });
});
