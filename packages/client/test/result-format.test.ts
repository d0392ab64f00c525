import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '@minisql/common';
import { displayWidth } from '../src/display-width.js';
import { formatDuration, formatError, formatErrorAt, formatResult } from '../src/result-format.js';
import { rowSet, writeOutcome } from './support/fake-database.js';

describe('formatResult of row sets', () => {
  it('draws a MySQL box with numbers right-aligned, text left-aligned and NULL spelled out', () => {
    const result = rowSet(
      'select',
      ['id', 'name', 'score'],
      [
        [1, 'alice', 9.5],
        [20, null, null],
        [300, 'bob', 10],
      ],
    );
    assert.equal(
      formatResult(result, 1.8),
      [
        '+-----+-------+-------+',
        '| id  | name  | score |',
        '+-----+-------+-------+',
        '|   1 | alice |   9.5 |',
        '|  20 | NULL  |  NULL |',
        '| 300 | bob   |    10 |',
        '+-----+-------+-------+',
        '3 rows in set (1.8 ms)',
        '',
      ].join('\n'),
    );
  });

  it('says "1 row" in the singular', () => {
    assert.match(formatResult(rowSet('select', ['a'], [[1]]), 0.31), /^1 row in set \(0\.3 ms\)$/m);
  });

  it('sizes columns by display width: CJK counts two, combining accents zero', () => {
    const text = formatResult(rowSet('select', ['name'], [['学生'], ['e\u0301te'], ['ab']]), 1);
    assert.deepEqual(text.split('\n').slice(0, 6), ['+------+', '| name |', '+------+', '| 学生 |', '| e\u0301te  |', '| ab   |']);
  });

  it('escapes control characters so a newline in a value cannot break the box', () => {
    const text = formatResult(rowSet('select', ['t'], [['a\nb\tc']]), 1);
    assert.match(text, /^\| a\\nb\\tc \|$/m);
  });

  it('shows blobs in hex', () => {
    assert.match(formatResult(rowSet('select', ['b'], [[Buffer.from([0xca, 0xfe])]]), 1), /^\| 0xcafe \|$/m);
  });

  it('renders show tables and describe as tables too', () => {
    const text = formatResult(rowSet('show_tables', ['Tables'], [['student']]), 1);
    assert.match(text, /^\| Tables {2}\|$/m);
    assert.match(text, /^\| student \|$/m);
  });

  it('says "Empty set" when a select finds nothing', () => {
    assert.equal(formatResult(rowSet('select', ['a'], []), 0.9), 'Empty set (0.9 ms)\n');
  });

  it('warns that rows were cut at the server limit when the result is truncated', () => {
    const result = { ...rowSet('select', ['a'], [[1], [2]]), truncated: true };
    const lines = formatResult(result, 1).trimEnd().split('\n');
    assert.equal(lines.at(-2), '2 rows in set (1.0 ms)');
    assert.match(lines.at(-1) ?? '', /^Warning: the server cut the result at its limit of 2 rows/);
  });

  it('says a replica read may be stale', () => {
    const result = { ...rowSet('select', ['a'], [[1]]), stale: true };
    assert.match(formatResult(result, 1), /^1 row in set \(1\.0 ms\) \(read from a replica: may be stale\)$/m);
  });
});

describe('formatResult of writes and DDL', () => {
  it('reports rows affected, singular and plural', () => {
    assert.equal(formatResult(writeOutcome('insert', 1), 2.1), 'Query OK, 1 row affected (2.1 ms)\n');
    assert.equal(formatResult(writeOutcome('delete', 0), 2.1), 'Query OK, 0 rows affected (2.1 ms)\n');
    assert.equal(formatResult(writeOutcome('update', 2), 2.1), 'Query OK, 2 rows affected (2.1 ms)\n');
  });

  it('adds the server message of a DDL statement on its own line', () => {
    assert.equal(formatResult(writeOutcome('create_table', 0, 'table `t` created'), 2.1), 'Query OK, 0 rows affected (2.1 ms)\ntable `t` created\n');
  });
});

describe('formatDuration', () => {
  it('uses milliseconds with one decimal below a second and seconds with two from a second on', () => {
    assert.equal(formatDuration(0.04), '0.0 ms');
    assert.equal(formatDuration(1.84), '1.8 ms');
    assert.equal(formatDuration(999.9), '999.9 ms');
    assert.equal(formatDuration(999.96), '1.00 s');
    assert.equal(formatDuration(1234), '1.23 s');
    assert.equal(formatDuration(61_500), '61.50 s');
  });

  it('never shows a negative time', () => {
    assert.equal(formatDuration(-3), '0.0 ms');
  });
});

describe('formatError', () => {
  it('prints the code and the reason', () => {
    assert.equal(formatError(errors.tableNotFound('T')), 'ERROR TABLE_NOT_FOUND: table `T` does not exist\n');
  });

  it('turns a non-catalog throw into INTERNAL with its message', () => {
    assert.equal(formatError(new Error('boom')), 'ERROR INTERNAL: internal error: boom\n');
  });

  it('places a script error at its line and file', () => {
    assert.equal(
      formatErrorAt(errors.tableNotFound('T'), { line: 12, fileName: 'big.sql' }),
      'ERROR at line 12 of big.sql: TABLE_NOT_FOUND: table `T` does not exist\n',
    );
    assert.equal(formatErrorAt(errors.tableNotFound('T'), { line: 3 }), 'ERROR at line 3: TABLE_NOT_FOUND: table `T` does not exist\n');
  });
});

describe('displayWidth', () => {
  it('counts code points, not UTF-16 units, and wide characters twice', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('𝔸'), 1); // outside the BMP: two UTF-16 units, one column
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth('ｆｕｌｌ'), 8);
    assert.equal(displayWidth('한국'), 4);
  });

  it('counts an emoji, a joined emoji (one glyph of several code points), a flag and a combining accent as the terminal shows them', () => {
    assert.equal(displayWidth('😀'), 2);
    assert.equal(displayWidth('👨‍👩‍👧‍👦'), 2, 'a family: four emoji joined by zero-width joiners');
    assert.equal(displayWidth('🇯🇵'), 2, 'a flag: two regional indicators');
    assert.equal(displayWidth('👍🏽'), 2, 'a skin tone modifier');
    assert.equal(displayWidth('cafe\u0301'), 4, 'e and a combining acute accent');
    assert.equal(displayWidth('a👨‍👩‍👧b'), 4);
  });

  it('keeps table borders straight around joined emoji', () => {
    const text = formatResult(rowSet('select', ['v'], [['👨‍👩‍👧‍👦'], ['ab']]), 1);
    const widths = new Set(
      text
        .split('\n')
        .filter((line) => line.startsWith('|') || line.startsWith('+'))
        .map((line) => displayWidth(line)),
    );
    assert.equal(widths.size, 1, text);
  });
});
