import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckerError } from '../src/errors.js';
import { EdnList, EdnSymbol, EdnTagged, ednGet, formatEdn, Keyword, keyword, parseEdn, parseEdnAll, type EdnMap } from '../src/history/edn.js';

test('reads scalars: nil, booleans, integers, floats, ratios, big integers, strings, keywords, symbols', () => {
  assert.equal(parseEdn('nil'), null);
  assert.equal(parseEdn('true'), true);
  assert.equal(parseEdn('false'), false);
  assert.equal(parseEdn('-42'), -42);
  assert.equal(parseEdn('+7'), 7);
  assert.equal(parseEdn('3.5'), 3.5);
  assert.equal(parseEdn('1e3'), 1000);
  assert.equal(parseEdn('1/4'), 0.25);
  assert.equal(parseEdn('12345678901234567890'), 12345678901234567890n);
  assert.equal(parseEdn('5N'), 5);
  assert.equal(parseEdn('"a b"'), 'a b');
  assert.equal(parseEdn(':timed-out'), keyword('timed-out'));
  assert.equal(parseEdn(':jepsen.independent/tuple'), Keyword.of('jepsen.independent/tuple'));
  assert.deepEqual(parseEdn('foo/bar'), new EdnSymbol('foo/bar'));
});

test('keywords are interned, so maps keyed by them can be looked up', () => {
  const map = parseEdn('{:type :invoke, :f :read}') as EdnMap;
  assert.equal(ednGet(map, 'type'), keyword('invoke'));
  assert.equal(ednGet(map, 'f'), keyword('read'));
  assert.equal(ednGet(map, 'value'), undefined);
});

test('reads string escapes and character literals', () => {
  assert.equal(parseEdn('"q\\"uote\\\\ \\n\\t\\r \\u00e9"'), 'q"uote\\ \n\t\r é');
  assert.deepEqual(parseEdn('[\\a \\newline \\space \\u0041 \\(]'), ['a', '\n', ' ', 'A', '(']);
});

test('reads collections: vectors, lists, maps, sets, nested', () => {
  assert.deepEqual(parseEdn('[1 [2 3] ()]'), [1, [2, 3], new EdnList([])]);
  assert.deepEqual(parseEdn('(1 2)'), new EdnList([1, 2]));
  assert.deepEqual(parseEdn('#{1 2}'), new Set([1, 2]));
  const map = parseEdn('{:a {:b [1 2]}, "k" nil}') as EdnMap;
  assert.deepEqual(ednGet(ednGet(map, 'a') as EdnMap, 'b'), [1, 2]);
  assert.equal(map.get('k'), null);
});

test('commas are whitespace, comments and discarded forms are skipped', () => {
  assert.deepEqual(parseEdn('[1,2 , 3] ; trailing comment'), [1, 2, 3]);
  assert.deepEqual(parseEdn('[1 #_ 2 3 #_[4 5]]'), [1, 3]);
  assert.deepEqual(parseEdnAll('; header\n1 #_2\n3 ; end'), [1, 3]);
  assert.deepEqual(parseEdnAll('#_ :only'), []);
});

test('tagged literals are kept with their tag', () => {
  const tagged = parseEdn('#inst "2024-01-02T03:04:05Z"');
  assert.ok(tagged instanceof EdnTagged);
  assert.equal(tagged.tag, 'inst');
  assert.equal(tagged.value, '2024-01-02T03:04:05Z');
  assert.equal(formatEdn(tagged), '#inst "2024-01-02T03:04:05Z"');
  assert.deepEqual(parseEdn('[##Inf ##-Inf]'), [Infinity, -Infinity]);
});

test('syntax errors carry EDN_SYNTAX and the line and column', () => {
  const cases: Array<[string, RegExp]> = [
    ['[1 2', /missing '\]' at line 1/],
    ['{:a}', /even number/],
    ['"open', /unterminated string at line 1, column 1/],
    ['\n\n  ]', /unexpected '\]' at line 3, column 3/],
    ['"\\x"', /unknown escape/],
    ['1 2', /expected one form/],
    ['', /expected a form/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseEdn(text),
      (error: unknown) => error instanceof CheckerError && error.code === 'EDN_SYNTAX' && message.test(error.message),
      text,
    );
  }
});

test('nesting deeper than the limit is refused, not a stack overflow', () => {
  assert.throws(
    () => parseEdn('['.repeat(10_000)),
    (error: unknown) => error instanceof CheckerError && /nesting deeper/.test(error.message),
  );
});

test('writes values back as EDN that reads as the same value', () => {
  const text = '{:type :ok, :value [1 "two" nil true 2.5 #{:x} (3)], "key" {:nested -1}}';
  const value = parseEdn(text);
  assert.equal(formatEdn(value), text);
  assert.deepEqual(parseEdn(formatEdn(value)), value);
});

test('writes strings with escapes, plain objects as keyword maps, undefined entries left out', () => {
  assert.equal(formatEdn('a"b\\c\nd\u0001'), '"a\\"b\\\\c\\nd\\u0001"');
  assert.equal(
    formatEdn({ 'valid?': false, model: 'cas-register', skipped: undefined, 'not a keyword': 1 }),
    '{:valid? false, :model "cas-register", "not a keyword" 1}',
  );
  assert.equal(formatEdn([null, undefined, 10n, NaN]), '[nil nil 10 ##NaN]');
  assert.equal(formatEdn(new Map([[1, 'x']])), '{1 "x"}');
});
