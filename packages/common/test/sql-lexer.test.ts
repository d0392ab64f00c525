import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSignificant, MiniSqlError, tokenize } from '../src/index.js';

const kinds = (sql: string): string[] =>
  tokenize(sql)
    .filter(isSignificant)
    .map((t) => `${t.kind}:${t.kind === 'string' || t.kind === 'quoted_identifier' ? t.value : t.text}`);

describe('tokenize', () => {
  it('reads single- and double-quoted strings with doubled quotes inside', () => {
    assert.deepEqual(kinds(`'it''s' "say ""hi""" "it's"`), ["string:it's", 'string:say "hi"', "string:it's"]);
  });

  it('keeps backslashes as ordinary characters, as SQLite does', () => {
    assert.deepEqual(kinds(`'a\\' , 'b'`), ['string:a\\', 'operator:,', 'string:b']);
  });

  it('reads backtick-quoted names, numbers, placeholders and two-character operators', () => {
    assert.deepEqual(kinds('`my col` <> 1.5e3 >= .5 ? != 7'), [
      'quoted_identifier:my col',
      'operator:<>',
      'number:1.5e3',
      'operator:>=',
      'number:.5',
      'parameter:?',
      'operator:!=',
      'number:7',
    ]);
  });

  it('treats -- and /* */ as comments, and a ; inside them or inside strings as text', () => {
    const tokens = tokenize("select 1 -- x; y\n/* a; b */ ';' ;");
    assert.deepEqual(
      tokens.filter((t) => t.kind === 'comment').map((t) => t.text),
      ['-- x; y', '/* a; b */'],
    );
    assert.equal(tokens.filter((t) => t.kind === 'semicolon').length, 1);
  });

  it('reports an unterminated string with its line and column', () => {
    assert.throws(
      () => tokenize("select\n  'open"),
      (error: unknown) => error instanceof MiniSqlError && error.code === 'SYNTAX_ERROR' && error.line === 2 && error.column === 3,
    );
  });

  it('reports a character that starts no token', () => {
    assert.throws(
      () => tokenize('select 1 \\ 2'),
      (error: unknown) => error instanceof MiniSqlError && /near `\\`/.test(error.message),
    );
  });

  it('reads non-ASCII letters as part of names', () => {
    assert.deepEqual(kinds('select café'), ['identifier:select', 'identifier:café']);
  });

  it('takes every kind of space after an ASCII one into the whitespace, and reads a token after it whole', () => {
    const tokens = tokenize('select\t \u00a0\u2003\r\n\f\vx');
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.text]),
      [
        ['identifier', 'select'],
        ['whitespace', '\t \u00a0\u2003\r\n\f\v'],
        ['identifier', 'x'],
      ],
    );
  });

  it('gives back the source exactly, token after token', () => {
    const source = "select a1, `b c`, 'd''e', 1.5e3 from t -- note\n where x <> ? /* c */ and y = 0;";
    const tokens = tokenize(source);
    assert.equal(tokens.map((t) => t.text).join(''), source);
    for (const t of tokens) assert.equal(source.slice(t.start, t.end), t.text);
  });
});
