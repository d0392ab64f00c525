import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeStatement, isWrite, MiniSqlError, type AnalyzedStatement } from '../src/index.js';

function analyzed<K extends AnalyzedStatement['kind']>(sql: string, kind: K): Extract<AnalyzedStatement, { kind: K }> {
  const statement = analyzeStatement(sql);
  assert.equal(statement.kind, kind, sql);
  return statement as Extract<AnalyzedStatement, { kind: K }>;
}

function failure(sql: string): MiniSqlError {
  try {
    analyzeStatement(sql);
  } catch (error) {
    assert.ok(error instanceof MiniSqlError, String(error));
    return error;
  }
  throw new Error(`expected analysis of ${sql} to fail`);
}

describe('analyzeStatement: kinds and tables', () => {
  it('classifies every statement form', () => {
    const forms: Array<[string, AnalyzedStatement['kind']]> = [
      ['create table t (a int primary key);', 'create_table'],
      ['drop table t;', 'drop_table'],
      ['create index i on t (a);', 'create_index'],
      ['create unique index i on t (a);', 'create_index'],
      ['drop index i;', 'drop_index'],
      ['select * from t;', 'select'],
      ['with x as (select 1) select * from x;', 'select'],
      ['insert into t values (1);', 'insert'],
      ['update t set a = 1;', 'update'],
      ['delete from t;', 'delete'],
      ['show tables;', 'show_tables'],
      ['show indexes from t;', 'show_indexes'],
      ['describe t;', 'describe'],
      ['desc t;', 'describe'],
    ];
    for (const [sql, kind] of forms) assert.equal(analyzeStatement(sql).kind, kind, sql);
  });

  it('finds every table a statement touches, without CTE names, keeping their case', () => {
    assert.deepEqual(analyzed('select * from A join b on A.x = b.y where A.z in (select z from C)', 'select').tables.sort(), ['A', 'C', 'b']);
    assert.deepEqual(analyzed('with x as (select * from T) select * from x', 'select').tables, ['T']);
    assert.deepEqual(analyzed('select 1 + 1', 'select').tables, []);
    const insert = analyzed('insert into T select * from U', 'insert');
    assert.equal(insert.table, 'T');
    assert.deepEqual(insert.tables.sort(), ['T', 'U']);
  });

  it('tells writes from reads', () => {
    assert.equal(isWrite(analyzeStatement('select 1')), false);
    assert.equal(isWrite(analyzeStatement('show tables')), false);
    assert.equal(isWrite(analyzeStatement('delete from t')), true);
    assert.equal(isWrite(analyzeStatement('create index i on t (a)')), true);
  });

  it('rewrites double-quoted strings and drops comments for SQLite', () => {
    assert.equal(analyzed(`select * from t where b = "it's" -- c`, 'select').sql, "select * from t where b = 'it''s'");
    assert.equal(analyzed('select `a b` from t', 'select').sql, 'select "a b" from t');
  });
});

describe('analyzeStatement: literal inserts and updates', () => {
  it('reads literal rows with signs, quotes, NULL and numbered placeholders', () => {
    const insert = analyzed(`insert into t (a, b, c) values (-1, 'x''y', null), (?, "z", ?)`, 'insert');
    assert.deepEqual(insert.literal, {
      columns: ['a', 'b', 'c'],
      rows: [
        [{ literal: -1 }, { literal: "x'y" }, { literal: null }],
        [{ parameter: 0 }, { literal: 'z' }, { parameter: 1 }],
      ],
    });
    assert.equal(insert.parameterCount, 2);
  });

  it('reads a many-row literal insert, with a quoted table name, to the same analysis', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => `(${i}, 'v${i}')`).join(', ');
    const insert = analyzed(`insert into \`My Table\` values ${values};`, 'insert');
    assert.equal(insert.table, 'My Table');
    assert.deepEqual(insert.tables, ['My Table']);
    assert.equal(insert.literal?.rows.length, 2_000);
    assert.deepEqual(insert.literal?.rows[1_999], [{ literal: 1_999 }, { literal: 'v1999' }]);
  });

  it('leaves a keyword in the place of the table name to the parser', () => {
    assert.equal(failure('insert into values values (1)').code, 'SYNTAX_ERROR');
  });

  it('leaves inserts of expressions or selects to SQLite', () => {
    assert.equal(analyzed('insert into t values (1 + 2)', 'insert').literal, null);
    assert.equal(analyzed('insert into t select * from u', 'insert').literal, null);
  });

  it('reads the literal assignments of an update and stops at the first expression', () => {
    assert.deepEqual(analyzed("update t set a = 1, b = 'x' where c = 2", 'update').assignments, [
      { column: 'a', value: { literal: 1 } },
      { column: 'b', value: { literal: 'x' } },
    ]);
    assert.deepEqual(analyzed('update t set a = ?, b = b + 1, c = 3', 'update').assignments, [{ column: 'a', value: { parameter: 0 } }]);
  });
});

describe('analyzeStatement: table definitions', () => {
  it('accepts the MiniSQL form and the inline primary key form', () => {
    const classic = analyzed('create table T ( a int , b char(4) unique , c float , primary key ( a ) )', 'create_table').definition;
    assert.equal(classic.primaryKey, 'a');
    assert.deepEqual(
      classic.columns.map((c) => [c.name, c.type.declared, c.unique, c.notNull]),
      [
        ['a', 'int', true, true],
        ['b', 'char(4)', true, false],
        ['c', 'float', false, false],
      ],
    );
    const inline = analyzed(
      "create table U (id bigint primary key, name varchar(10) not null default 'n''a', score double default -1.5)",
      'create_table',
    ).definition;
    assert.equal(inline.primaryKey, 'id');
    assert.equal(inline.columns[1]?.defaultValue, "n'a");
    assert.equal(inline.columns[2]?.defaultValue, -1.5);
  });

  it('refuses a default that does not fit its column', () => {
    assert.equal(failure("create table t (a int primary key, b int default 'x')").code, 'TYPE_MISMATCH');
  });
});

describe('analyzeStatement: refusals', () => {
  it('refuses empty input and several statements in one request', () => {
    assert.equal(failure('  -- nothing\n ; ').code, 'EMPTY_STATEMENT');
    assert.equal(failure('select 1; select 2').code, 'MULTIPLE_STATEMENTS');
  });

  it('refuses statements minisql does not run, by name', () => {
    const error = failure('begin transaction');
    assert.equal(error.code, 'UNSUPPORTED_STATEMENT');
    assert.match(error.message, /BEGIN statement/);
    assert.equal(failure('pragma table_info(t)').code, 'UNSUPPORTED_STATEMENT');
  });

  it('places a syntax error at the word where parsing stopped, on the right line', () => {
    const error = failure('select a\nfrom t\nwhere a = = 1');
    assert.equal(error.code, 'SYNTAX_ERROR');
    assert.equal(error.line, 3);
    const inWord = failure('create table t (a blobby, primary key (a))');
    assert.match(inWord.message, /near `blobby/);
    const bogus = failure('frobnicate the table');
    assert.equal(bogus.code, 'SYNTAX_ERROR');
    assert.equal(bogus.column, 1);
  });

  it('refuses bad names in definitions', () => {
    assert.equal(failure('create table minisql_meta (a int primary key)').code, 'INVALID_NAME');
    assert.equal(failure('create index `bad name` on t (a)').code, 'INVALID_NAME');
  });
});
