/**
 * The external Porcupine corpus (see its README): every file in verdicts.tsv must get its
 * published verdict. The directory comes from PORCUPINE_DIR, by default
 * packages/checker/test/data/porcupine (a copy of the external corpus, with its licence).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLinearizability, type LinearizabilityAlgorithm } from '../src/checker/linearizability.js';
import type { Model } from '../src/model/model.js';
import { kvModel } from '../src/model/model-kv.js';
import { casRegisterModel } from '../src/model/model-register.js';
import type { Op } from '../src/history/op.js';
import { parseJepsenConsoleLog, parseKvLog } from '../src/history/porcupine-log.js';

/** This file runs from packages/jepsen/dist/test; the repository root is four levels up. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const CORPUS_DIR = process.env.PORCUPINE_DIR ?? resolve(REPO_ROOT, 'packages/checker/test/data/porcupine');
/** Generous, for a loaded machine: the bench holds the real targets (1 s per history). */
const TIME_LIMIT_MS = 20_000;

/** The corpus's etcd semantics (README): absent register, nil reads only while absent, a failed CAS saw another value. */
const ETCD_MODEL = casRegisterModel({ nilReads: 'only-while-absent', failedCas: 'observes-mismatch' }) as Model;
const KV_MODEL = kvModel() as Model;

type Verdict = 'linearizable' | 'not-linearizable' | 'no-published-verdict';

const entries = readFileSync(join(CORPUS_DIR, 'verdicts.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file, verdict] = line.split('\t');
    return { file: file as string, verdict: verdict as Verdict };
  });

function load(file: string): Op[] {
  const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
  return file.startsWith('jepsen/') ? parseJepsenConsoleLog(text) : parseKvLog(text);
}

function expected(verdict: Verdict): boolean | undefined {
  return verdict === 'linearizable' ? true : verdict === 'not-linearizable' ? false : undefined;
}

test('the corpus lists 103 etcd histories and 6 kv histories', () => {
  assert.equal(entries.filter((entry) => entry.file.startsWith('jepsen/')).length, 103);
  assert.equal(entries.filter((entry) => entry.file.startsWith('kv/')).length, 6);
});

for (const { file, verdict } of entries) {
  test(`${file} is ${verdict}`, () => {
    const ops = load(file);
    const model = file.startsWith('jepsen/') ? ETCD_MODEL : KV_MODEL;
    const startMs = performance.now();
    const result = checkLinearizability(ops, { model, timeLimitMs: TIME_LIMIT_MS });
    const elapsedMs = performance.now() - startMs;
    const want = expected(verdict);
    if (want === undefined) {
      // etcd_095: no published verdict; it must finish within its limit, with a verdict or unknown.
      assert.ok(elapsedMs < TIME_LIMIT_MS + 1000, `took ${elapsedMs} ms`);
      assert.ok([true, false, 'unknown'].includes(result.valid));
      return;
    }
    assert.equal(result.valid, want, result.reason);
    if (want === false) {
      assert.ok(result.failure, 'an invalid result names the op');
      assert.equal(result.failure.op.type === 'ok' || result.failure.op.type === 'fail', true);
    }
  });
}

for (const name of ['c01-ok', 'c01-bad', 'c10-ok', 'c10-bad']) {
  test(`kv/${name}.txt: per key and as a whole history, the same verdict`, () => {
    const ops = load(`kv/${name}.txt`);
    const perKey = checkLinearizability(ops, { model: KV_MODEL, perKey: true, timeLimitMs: TIME_LIMIT_MS });
    const whole = checkLinearizability(ops, { model: KV_MODEL, perKey: false, timeLimitMs: TIME_LIMIT_MS * 3 });
    assert.equal(perKey.valid, name.endsWith('-ok'));
    assert.equal(whole.valid, perKey.valid);
    assert.ok(perKey.perKey && perKey.perKey.size >= 8, 'the kv histories have 8 to 10 keys');
    assert.equal(whole.perKey, undefined);
  });
}

test('kv histories: each algorithm alone gives the published verdict', () => {
  for (const name of ['c10-ok', 'c10-bad', 'c50-bad']) {
    const ops = load(`kv/${name}.txt`);
    for (const algorithm of ['linear', 'wgl'] as LinearizabilityAlgorithm[]) {
      const result = checkLinearizability(ops, { model: KV_MODEL, algorithm, timeLimitMs: TIME_LIMIT_MS });
      assert.equal(result.valid, name.endsWith('-ok'), `${name} with ${algorithm}`);
    }
  }
});
