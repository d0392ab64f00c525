import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkValue, MiniSqlError, parseColumnType, type ColumnType } from '../src/index.js';

function type(name: string, length?: number): ColumnType {
  const parsed = parseColumnType(name, length, 'c');
  assert.ok(!(parsed instanceof MiniSqlError), parsed instanceof MiniSqlError ? parsed.message : '');
  return parsed;
}

const code = (value: unknown): string | undefined => (value instanceof MiniSqlError ? value.code : undefined);

describe('column types', () => {
  it('maps aliases to the minisql types and keeps the declared spelling', () => {
    assert.deepEqual(type('INTEGER'), { base: 'int', length: 0, declared: 'integer' });
    assert.deepEqual(type('varchar', 10), { base: 'char', length: 10, declared: 'varchar(10)' });
    assert.equal(type('double').base, 'float');
    assert.equal(type('bigint').base, 'bigint');
    assert.equal(type('text').base, 'text');
  });

  it('refuses char without a length or outside 1..255, and unknown types', () => {
    assert.equal(code(parseColumnType('char', undefined, 'c')), 'UNKNOWN_TYPE');
    assert.equal(code(parseColumnType('char', 0, 'c')), 'UNKNOWN_TYPE');
    assert.equal(code(parseColumnType('char', 256, 'c')), 'UNKNOWN_TYPE');
    assert.equal(code(parseColumnType('datetime', undefined, 'c')), 'UNKNOWN_TYPE');
    assert.equal(type('char', 255).length, 255);
  });

  it('int accepts 32-bit integers only', () => {
    assert.equal(checkValue(7, type('int'), 'c'), 7);
    assert.equal(code(checkValue(1.5, type('int'), 'c')), 'TYPE_MISMATCH');
    assert.equal(code(checkValue('7', type('int'), 'c')), 'TYPE_MISMATCH');
    assert.equal(code(checkValue(2 ** 31, type('int'), 'c')), 'VALUE_OUT_OF_RANGE');
    assert.equal(checkValue(-(2 ** 31), type('int'), 'c'), -(2 ** 31));
    assert.equal(checkValue(2 ** 40, type('bigint'), 'c'), 2 ** 40);
    assert.equal(code(checkValue(2 ** 53, type('bigint'), 'c')), 'VALUE_OUT_OF_RANGE');
  });

  it('float accepts integers and fractions, not text or infinity', () => {
    assert.equal(checkValue(3, type('float'), 'c'), 3);
    assert.equal(checkValue(2.5, type('float'), 'c'), 2.5);
    assert.equal(code(checkValue('2.5', type('float'), 'c')), 'TYPE_MISMATCH');
    assert.equal(code(checkValue(Infinity, type('float'), 'c')), 'TYPE_MISMATCH');
  });

  it('char(n) counts characters, not bytes or UTF-16 units', () => {
    assert.equal(checkValue('日本', type('char', 2), 'c'), '日本');
    assert.equal(checkValue('🎉🎉', type('char', 2), 'c'), '🎉🎉');
    const error = checkValue('hello', type('char', 4), 'b');
    assert.ok(error instanceof MiniSqlError);
    assert.equal(error.message, "value `'hello'` too long for `char(4)` column `b`");
  });

  it('passes NULL through: whether it is allowed is the column rule, not the type', () => {
    assert.equal(checkValue(null, type('int'), 'c'), null);
  });
});
