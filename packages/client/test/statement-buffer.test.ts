import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatementBuffer } from '../src/statement-buffer.js';

describe('StatementBuffer', () => {
  it('waits for the ; across lines, then returns the whole statement', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(buffer.addLine('select *'), []);
    assert.equal(buffer.isPending, true);
    assert.deepEqual(
      buffer.addLine('from t;').map((s) => s.text),
      ['select *\nfrom t'],
    );
    assert.equal(buffer.isPending, false);
  });

  it('returns every statement of one line and keeps an unfinished tail', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(
      buffer.addLine('select 1; select 2; select').map((s) => s.text),
      ['select 1', 'select 2'],
    );
    assert.equal(buffer.isPending, true);
    assert.deepEqual(
      buffer.addLine('3;').map((s) => s.text),
      ['select\n3'],
    );
  });

  it('keeps waiting inside an open string, even past a ;, and keeps the blanks typed in it', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(buffer.addLine("insert into t values ('a;  "), []);
    assert.equal(buffer.isPending, true);
    assert.deepEqual(
      buffer.addLine("b');").map((s) => s.text),
      ["insert into t values ('a;  \nb')"],
    );
  });

  it('is not pending after a line of only a comment', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(buffer.addLine('-- nothing'), []);
    assert.equal(buffer.isPending, false);
  });

  it('forgets everything on clear and after text that cannot be tokenized', () => {
    const buffer = new StatementBuffer();
    buffer.addLine('select');
    buffer.clear();
    assert.equal(buffer.isPending, false);
    buffer.addLine('select');
    assert.throws(() => buffer.addLine('# from t;'), { code: 'SYNTAX_ERROR' });
    assert.equal(buffer.isPending, false);
  });
});
