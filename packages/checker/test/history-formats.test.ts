import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckerError } from '../src/errors.js';
import { formatEdn } from '../src/history/edn.js';
import { formatHistoryEdn, formatOpEdn, opToEdnValue, parseHistoryEdn } from '../src/history/history-edn.js';
import { readHistoryFile } from '../src/history/history-file.js';
import { formatHistoryJsonl, parseHistoryJsonl } from '../src/history/history-jsonl.js';
import type { Op } from '../src/history/op.js';
import { parseJepsenConsoleLog, parseKvLog } from '../src/history/porcupine-log.js';

const SAMPLE: Op[] = [
  { type: 'invoke', f: 'read', value: null, process: 0, time: 123, index: 0 },
  { type: 'invoke', f: 'cas', value: [1, 2], process: 1, time: 150, index: 1, key: 'k"1', node: 'n1' },
  { type: 'ok', f: 'read', value: 3, process: 0, time: 200, index: 2 },
  { type: 'info', f: 'cas', value: [1, 2], process: 1, time: 300, index: 3, key: 'k"1', error: 'timed-out' },
  { type: 'info', f: 'start-partition', value: 'majority', process: 'nemesis', time: 400, index: 4, error: 'a message, not a name' },
  { type: 'invoke', f: 'put', value: 'x 1 y', process: 2, time: 500, index: 5, key: 7 },
];

function malformed(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => error instanceof CheckerError && error.code === 'HISTORY_MALFORMED' && pattern.test(error.message);
}

test('an op is written as a line of Jepsen history.edn', () => {
  assert.equal(formatOpEdn(SAMPLE[0] as Op), '{:type :invoke, :f :read, :value nil, :process 0, :time 123, :index 0}');
  assert.equal(formatOpEdn(SAMPLE[3] as Op), '{:type :info, :f :cas, :value [1 2], :process 1, :time 300, :index 3, :key "k\\"1", :error :timed-out}');
  assert.equal(
    formatOpEdn(SAMPLE[4] as Op),
    '{:type :info, :f :start-partition, :value "majority", :process :nemesis, :time 400, :index 4, :error "a message, not a name"}',
  );
});

test('the EDN value of an op writes out as the same line', () => {
  for (const op of SAMPLE) assert.equal(formatEdn(opToEdnValue(op)), formatOpEdn(op));
});

test('history.edn round-trips, one op per line', () => {
  const text = formatHistoryEdn(SAMPLE);
  assert.equal(text.split('\n').length, SAMPLE.length + 1);
  assert.deepEqual(parseHistoryEdn(text), SAMPLE);
});

test('history.edn as one whole-file vector reads the same', () => {
  const text = `[${formatHistoryEdn(SAMPLE)}]`;
  assert.deepEqual(parseHistoryEdn(text), SAMPLE);
});

test('EDN ops without index or time get their position as both; unknown keys are ignored', () => {
  const [op] = parseHistoryEdn('{:process 3, :type :invoke, :f :get, :key "0", :value nil, :debug {:x 1}}');
  assert.deepEqual(op, { type: 'invoke', f: 'get', value: null, process: 3, time: 0, index: 0, key: '0' });
});

test('keywords and maps in EDN values become names and EDN text', () => {
  const [op] = parseHistoryEdn('{:type :ok, :f :read, :value [:a {:b 1} #{2}], :process 0, :error [:cas-failed 3]}');
  assert.deepEqual(op?.value, ['a', '{:b 1}', '#{2}']);
  assert.equal(op?.error, '[:cas-failed 3]');
});

test('malformed EDN ops are rejected with HISTORY_MALFORMED naming the op', () => {
  assert.throws(() => parseHistoryEdn('{:type :invoke, :f :read, :process 0}\n[1 2]'), malformed(/op 1: expected an op map/));
  assert.throws(() => parseHistoryEdn('{:type :begin, :f :read, :process 0}'), malformed(/op 0: :type must be one of/));
  assert.throws(() => parseHistoryEdn('{:type :ok, :f :read, :process "p"}'), malformed(/:process must be an integer or nemesis/));
  assert.throws(() => parseHistoryEdn('{:type :ok, :process 1}'), malformed(/:f must be a name/));
});

test('JSON lines round-trip and reject what is not an op', () => {
  const text = formatHistoryJsonl(SAMPLE);
  assert.equal(text.split('\n')[0], '{"type":"invoke","f":"read","value":null,"process":0,"time":123,"index":0}');
  assert.deepEqual(parseHistoryJsonl(text), SAMPLE);
  assert.deepEqual(parseHistoryJsonl(`\n${text}\n\n`), SAMPLE);
  assert.throws(() => parseHistoryJsonl('{"type":"ok"'), malformed(/line 1: not JSON/));
  assert.throws(() => parseHistoryJsonl('[1]'), malformed(/line 1: expected an op object/));
  assert.throws(() => parseHistoryJsonl('{"type":"ok","f":"read","process":0,"value":{"a":1}}'), malformed(/:value must be/));
});

test('console log: completions get their invocation value, and a keyword value becomes the error', () => {
  const log = [
    'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 1\t:invoke\t:cas\t[3 0]',
    'INFO  jepsen.core - Worker 2 starting', // another logger: not an op
    'INFO  jepsen.util - 0\t:fail\t:read\t:timed-out',
    'INFO  jepsen.util - 2   :invoke   :write   4',
    'INFO  jepsen.util - 1\t:info\t:cas\t:timed-out',
    'INFO  jepsen.util - 2\t:ok\t:write\t4',
    'INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]',
    'INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]',
    '',
  ].join('\n');
  const ops = parseJepsenConsoleLog(log);
  assert.deepEqual(
    ops.map((op) => [op.process, op.type, op.f, op.value, op.error ?? null, op.index, op.time]),
    [
      [0, 'invoke', 'read', null, null, 0, 0],
      [1, 'invoke', 'cas', [3, 0], null, 1, 1],
      [0, 'fail', 'read', null, 'timed-out', 2, 2],
      [2, 'invoke', 'write', 4, null, 3, 3],
      [1, 'info', 'cas', [3, 0], 'timed-out', 4, 4],
      [2, 'ok', 'write', 4, null, 5, 5],
      [0, 'invoke', 'cas', [1, 2], null, 6, 6],
      [0, 'fail', 'cas', [1, 2], null, 7, 7],
    ],
  );
});

test('console log: a broken op line is an error, not silently skipped', () => {
  assert.throws(() => parseJepsenConsoleLog('INFO  jepsen.util - 0 invoke read'), malformed(/line 1: not an op line/));
  assert.throws(() => parseJepsenConsoleLog('INFO  jepsen.util - 0 :ok :read [1'), malformed(/line 1: value is not EDN/));
});

test('kv log: EDN lines with keys; a line without a key is refused', () => {
  const ops = parseKvLog(
    '{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}\n{:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}\n',
  );
  assert.deepEqual(ops[1], { type: 'ok', f: 'append', value: 'x 9 0 y', process: 9, time: 1, index: 1, key: '0' });
  assert.throws(() => parseKvLog('{:process 1, :type :invoke, :f :get, :value nil}'), malformed(/needs a :key/));
});

test('history files are read by extension: .edn, .jsonl, .log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jepsen-history-'));
  try {
    writeFileSync(join(dir, 'h.edn'), formatHistoryEdn(SAMPLE));
    writeFileSync(join(dir, 'h.jsonl'), formatHistoryJsonl(SAMPLE));
    writeFileSync(join(dir, 'h.log'), 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\n');
    assert.deepEqual(readHistoryFile(join(dir, 'h.edn')), SAMPLE);
    assert.deepEqual(readHistoryFile(join(dir, 'h.jsonl')), SAMPLE);
    assert.equal(readHistoryFile(join(dir, 'h.log')).length, 1);
    assert.throws(
      () => readHistoryFile(join(dir, 'missing.edn')),
      (error: unknown) => error instanceof CheckerError && error.code === 'HISTORY_UNREADABLE',
    );
    writeFileSync(join(dir, 'bad.edn'), '{:type :ok');
    assert.throws(
      () => readHistoryFile(join(dir, 'bad.edn')),
      (error: unknown) => error instanceof CheckerError && error.code === 'EDN_SYNTAX' && error.message.includes('bad.edn'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
