import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitStatements } from '../src/index.js';

describe('splitStatements', () => {
  it('splits several statements on one line', () => {
    const { statements, rest } = splitStatements('select 1; select 2;select 3;');
    assert.deepEqual(
      statements.map((s) => s.text),
      ['select 1', 'select 2', 'select 3'],
    );
    assert.equal(rest, '');
  });

  it("ends a statement at \\G (MySQL's vertical output), but not inside a string or a comment", () => {
    const { statements, rest } = splitStatements("select 1\\G select '\\G;' -- \\G\n; select 3\\G");
    assert.deepEqual(
      statements.map((s) => [s.text, s.vertical === true]),
      [
        ['select 1', true],
        ["select '\\G;' -- \\G", false],
        ['select 3', true],
      ],
    );
    assert.equal(rest, '');
  });

  it('does not split at a ; inside a string or a comment', () => {
    const { statements } = splitStatements("insert into t values ('a;b'); /* ; */ select 2 -- ;\n;");
    assert.deepEqual(
      statements.map((s) => s.text),
      ["insert into t values ('a;b')", '/* ; */ select 2 -- ;'],
    );
  });

  it('keeps an unfinished statement as the rest, with its line', () => {
    const split = splitStatements('select 1;\n\nselect *\nfrom t');
    assert.deepEqual(
      split.statements.map((s) => s.text),
      ['select 1'],
    );
    assert.equal(split.rest, 'select *\nfrom t');
    assert.equal(split.restLine, 3);
    assert.equal(split.open, false);
  });

  it('keeps an open string as the rest with its blanks, even when it holds a ;', () => {
    const split = splitStatements("select 1; insert into t values ('semi;  ");
    assert.deepEqual(
      split.statements.map((s) => s.text),
      ['select 1'],
    );
    assert.equal(split.rest, "insert into t values ('semi;  ");
    assert.equal(split.open, true);
  });

  it('marks an open block comment as an open rest', () => {
    assert.equal(splitStatements('select 1 /* still open').open, true);
  });

  it("gives the line of each statement's first word, not of a comment above it", () => {
    const { statements } = splitStatements('\n\nselect 1;\n-- c\nselect\n2;');
    assert.deepEqual(
      statements.map((s) => s.line),
      [3, 5],
    );
  });

  it('ignores empty statements and a rest of comments only', () => {
    const { statements, rest } = splitStatements(';;  ; -- only a comment');
    assert.deepEqual(statements, []);
    assert.equal(rest, '');
  });
});
