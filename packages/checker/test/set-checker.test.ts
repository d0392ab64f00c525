import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Op, OpType, OpValue } from '../src/history/op.js';
import { checkSet, intervalSetText } from '../src/checker/set-checker.js';

function history(entries: Array<[number, OpType, string, OpValue]>): Op[] {
  return entries.map(([process, type, f, value], index) => ({ type, f, value, process, time: index, index }));
}

test('every acknowledged add read back: valid, all ok', () => {
  const result = checkSet(
    history([
      [0, 'invoke', 'add', 1],
      [0, 'ok', 'add', 1],
      [1, 'invoke', 'add', 2],
      [1, 'ok', 'add', 2],
      [0, 'invoke', 'read', null],
      [0, 'ok', 'read', [1, 2]],
    ]),
  );
  assert.equal(result.valid, true);
  assert.equal(result.okCount, 2);
  assert.equal(result.ok, '#{1..2}');
  assert.equal(result.lostCount, 0);
});

test('an acknowledged add missing from the final read is lost: invalid', () => {
  const result = checkSet(
    history([
      [0, 'invoke', 'add', 1],
      [0, 'ok', 'add', 1],
      [1, 'invoke', 'add', 2],
      [1, 'ok', 'add', 2],
      [0, 'invoke', 'read', null],
      [0, 'ok', 'read', [2]],
    ]),
  );
  assert.equal(result.valid, false);
  assert.equal(result.lostCount, 1);
  assert.equal(result.lost, '#{1}');
});

test('a crashed or failed add found in the read is recovered, not an error', () => {
  const result = checkSet(
    history([
      [0, 'invoke', 'add', 1],
      [0, 'info', 'add', 1],
      [1, 'invoke', 'add', 2],
      [1, 'fail', 'add', 2],
      [2, 'invoke', 'read', null],
      [2, 'ok', 'read', [1, 2]],
    ]),
  );
  assert.equal(result.valid, true);
  assert.equal(result.recoveredCount, 2);
  assert.equal(result.acknowledgedCount, 0);
  assert.equal(result.attemptCount, 2);
});

test('an element never added but read is unexpected: invalid', () => {
  const result = checkSet(
    history([
      [0, 'invoke', 'add', 1],
      [0, 'ok', 'add', 1],
      [0, 'invoke', 'read', null],
      [0, 'ok', 'read', [1, 9]],
    ]),
  );
  assert.equal(result.valid, false);
  assert.equal(result.unexpected, '#{9}');
});

test('a set never read is unknown', () => {
  const result = checkSet(
    history([
      [0, 'invoke', 'add', 1],
      [0, 'ok', 'add', 1],
      [0, 'invoke', 'read', null],
      [0, 'fail', 'read', null],
    ]),
  );
  assert.equal(result.valid, 'unknown');
  assert.equal(result.reason, 'the set was never read');
});

test('interval text groups runs of integers as Jepsen prints them', () => {
  assert.equal(intervalSetText([5, 1, 2, 3, 7, 8]), '#{1..3 5 7..8}');
  assert.equal(intervalSetText([]), '#{}');
  assert.equal(intervalSetText(['a', 1]), '#{1 "a"}');
});
