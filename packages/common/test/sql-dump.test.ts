import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeStatement, createTableSql, insertSql, sqlLiteral, type TableDefinition } from '../src/index.js';

describe('a table as SQL', () => {
  it('writes values so they read back exactly', () => {
    assert.equal(sqlLiteral(null), 'null');
    assert.equal(sqlLiteral(0.1), '0.1');
    assert.equal(sqlLiteral(-2.5e-7), '-2.5e-7');
    assert.equal(sqlLiteral(9007199254740993n), '9007199254740993');
    assert.equal(sqlLiteral(-(2n ** 63n)), '(-9223372036854775807 - 1)', '-2^63 has no literal');
    assert.equal(sqlLiteral("O'Brien\nsecond line"), "'O''Brien\nsecond line'");
    assert.equal(sqlLiteral(Buffer.from([0, 255])), "x'00ff'");
  });

  it("writes a CREATE TABLE that minisql's own analyser reads back to the same definition", () => {
    const original = analyzeStatement(
      "create table odd_name (id int primary key, name char(40) not null unique, score float default 1.5, note text default 'n/a');",
    );
    assert.equal(original.kind, 'create_table');
    const definition = (original as { definition: TableDefinition }).definition;
    const again = analyzeStatement(createTableSql(definition));
    assert.deepEqual((again as { definition: TableDefinition }).definition, definition);
  });

  it('writes rows as one multi-row INSERT naming the columns', () => {
    assert.equal(
      insertSql(
        't',
        ['a', 'b'],
        [
          [1, 'x'],
          [2, null],
        ],
      ),
      "insert into `t` (`a`, `b`) values\n  (1, 'x'),\n  (2, null);",
    );
  });
});
