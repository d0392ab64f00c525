import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitStatements } from '../src/index.js';

describe('splitStatements', () => {
  it('splits several statements on one line', () => {
    const { statements, rest } = splitStatements('select 1; select 2;select 3;');
    assert.deepEqual(statements.map((s) => s.text), ['select 1', 'select 2', 'select 3']);
    assert.equal(rest, '');
  });

  it('does not split at a ; inside a string or a comment', () => {
    const { statements } = splitStatements("insert into t values ('a;b'); /* ; */ select 2 -- ;\n;");
    assert.deepEqual(statements.map((s) => s.text), ["insert into t values ('a;b')", '/* ; */ select 2 -- ;']);
  });

  it('keeps an unfinished statement as the rest, with its lines', () => {
    const { statements, rest } = splitStatements('select 1;\nselect *\nfrom t');
    assert.deepEqual(statements.map((s) => s.text), ['select 1']);
    assert.equal(rest, 'select *\nfrom t');
  });

  it('keeps an open string as the rest, even when it holds a ;', () => {
    const { statements, rest } = splitStatements("select 1; insert into t values ('semi;");
    assert.deepEqual(statements.map((s) => s.text), ['select 1']);
    assert.equal(rest, "insert into t values ('semi;");
  });

  it('gives the line each statement starts on', () => {
    const { statements } = splitStatements('\n\nselect 1;\n-- c\nselect\n2;');
    assert.deepEqual(statements.map((s) => s.line), [3, 4]);
  });

  it('ignores empty statements and a rest of comments only', () => {
    const { statements, rest } = splitStatements(';;  ; -- only a comment');
    assert.deepEqual(statements, []);
    assert.equal(rest, '');
  });
});
