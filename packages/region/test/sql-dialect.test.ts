/**
 * The MiniSQL dialect through a real region process: every statement form and every
 * error of docs/sql.md, over gRPC, stored in real SQLite files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegionFixture } from './support/region-fixture.js';

let region: RegionFixture;
before(async () => {
  region = await RegionFixture.start();
});
after(async () => {
  await region.stop();
});

describe('the MiniSQL baseline', () => {
  it('creates a table with int, char(n) unique, float and a primary key, and describes it', async () => {
    const created = await region.execute('create table student ( sno int , sname char(16) unique , sage float , primary key ( sno ) );');
    assert.equal(created.kind, 'create_table');
    const describe = await region.execute('describe student;');
    assert.deepEqual(describe.rows, [
      ['sno', 'int', 'NO', 'PRI', null],
      ['sname', 'char(16)', 'YES', 'UNI', null],
      ['sage', 'float', 'YES', '', null],
    ]);
  });

  it('inserts rows with strings in single and double quotes and selects them back typed', async () => {
    await region.execute("insert into student values ( 1 , 'alice' , 20 );");
    await region.execute('insert into student values ( 2 , "bob" , 21.5 );');
    const result = await region.execute('select * from student;');
    assert.deepEqual(
      result.columns.map((c) => [c.name, c.type]),
      [
        ['sno', 'int'],
        ['sname', 'char(16)'],
        ['sage', 'float'],
      ],
    );
    assert.deepEqual(result.rows, [
      [1, 'alice', 20],
      [2, 'bob', 21.5],
    ]);
  });

  it('filters with each comparison operator and with and', async () => {
    await region.execute("insert into student values (3, 'carol', 19), (4, 'dave', 22);");
    const names = async (where: string): Promise<unknown[]> => (await region.rows(`select sname from student where ${where};`)).map((r) => r[0]);
    assert.deepEqual(await names('sno = 2'), ['bob']);
    assert.deepEqual(await names('sno <> 2'), ['alice', 'carol', 'dave']);
    assert.deepEqual(await names('sage < 20'), ['carol']);
    assert.deepEqual(await names('sage > 21.5'), ['dave']);
    assert.deepEqual(await names('sage <= 20'), ['alice', 'carol']);
    assert.deepEqual(await names('sage >= 21.5'), ['bob', 'dave']);
    assert.deepEqual(await names("sno >= 2 and sname <> 'dave' and sage > 19"), ['bob']);
  });

  it('selects a column list instead of *', async () => {
    const result = await region.execute('select sage , sno from student where sno = 1;');
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['sage', 'sno'],
    );
    assert.deepEqual(result.rows, [[20, 1]]);
  });

  it('reports an empty result as zero rows', async () => {
    const result = await region.execute('select * from student where sno = 999;');
    assert.equal(result.rows.length, 0);
    assert.equal(result.columns.length, 3);
  });

  it('creates an index on a unique column and on a non-unique one, and drops it without naming the table', async () => {
    await region.execute('create index idx_name on student ( sname );');
    await region.execute('create index idx_age on student ( sage );');
    const indexes = await region.rows('show indexes from student;');
    assert.deepEqual(
      indexes.map((r) => r[1]),
      ['PRIMARY', 'sname', 'idx_age', 'idx_name'],
    );
    await region.execute('drop index idx_age;');
    const after = await region.rows('show indexes from student;');
    assert.deepEqual(
      after.map((r) => r[1]),
      ['PRIMARY', 'sname', 'idx_name'],
    );
    assert.equal((await region.rows('select sname from student where sage = 22;'))[0]?.[0], 'dave');
  });

  it('deletes with a where clause and reports how many rows it deleted', async () => {
    await region.execute('create table scratch (k int, primary key (k));');
    await region.execute('insert into scratch values (1), (2), (3), (4), (5);');
    assert.equal((await region.execute('delete from scratch where k > 3;')).rowsAffected, 2);
    assert.equal((await region.execute('delete from scratch where k > 100;')).rowsAffected, 0);
    assert.equal((await region.execute('delete from scratch;')).rowsAffected, 3);
    assert.deepEqual(await region.rows('select * from scratch;'), []);
  });

  it('drops a table, after which it is gone', async () => {
    await region.execute('drop table scratch;');
    const error = await region.fails('select * from scratch;');
    assert.equal(error.code, 'TABLE_NOT_FOUND');
    assert.match(error.message, /table `scratch` does not exist/);
  });
});

describe('errors name the object', () => {
  it('refuses a table that already exists', async () => {
    const error = await region.fails('create table student (x int, primary key (x));');
    assert.equal(error.code, 'TABLE_EXISTS');
    assert.equal(error.message, 'table `student` already exists');
  });

  it('refuses a table that does not exist, for every statement kind', async () => {
    for (const sql of [
      'select * from ghost;',
      'insert into ghost values (1);',
      'delete from ghost;',
      'update ghost set a = 1;',
      'drop table ghost;',
      'describe ghost;',
      'create index g on ghost (a);',
    ]) {
      const error = await region.fails(sql);
      assert.equal(error.code, 'TABLE_NOT_FOUND', sql);
      assert.equal(error.message, 'table `ghost` does not exist', sql);
    }
  });

  it('refuses a duplicate value for a unique column and for the primary key, naming value and column', async () => {
    const unique = await region.fails("insert into student values (10, 'alice', 30);");
    assert.equal(unique.code, 'DUPLICATE_KEY');
    assert.equal(unique.message, "duplicate value `'alice'` for unique column `sname`");
    const primary = await region.fails("insert into student values (1, 'zed', 30);");
    assert.equal(primary.code, 'DUPLICATE_KEY');
    assert.equal(primary.message, 'duplicate value `1` for primary key column `sno`');
  });

  it('refuses a row whose column count does not match', async () => {
    const error = await region.fails("insert into student values (11, 'x');");
    assert.equal(error.code, 'COLUMN_COUNT_MISMATCH');
    assert.match(error.message, /table `student`: expected 3 value\(s\), got 2/);
  });

  it('refuses a string longer than char(n)', async () => {
    await region.execute('create table short (a int, b char(4), primary key (a));');
    const error = await region.fails("insert into short values (1, 'hello');");
    assert.equal(error.code, 'VALUE_TOO_LONG');
    assert.equal(error.message, "value `'hello'` too long for `char(4)` column `b`");
  });

  it('reports a syntax error with the text near it and its line and column', async () => {
    const error = await region.fails('select sno form student;');
    assert.equal(error.code, 'SYNTAX_ERROR');
    assert.equal(error.line, 1);
    assert.equal(error.column, 17);
    assert.match(error.message, /near `student;` at line 1, column 17/);
    const second = await region.fails('select *\nfrom student\nwhere sno = = 1;');
    assert.equal(second.code, 'SYNTAX_ERROR');
    assert.equal(second.line, 3);
    const unknown = await region.fails('selec * from student;');
    assert.equal(unknown.code, 'SYNTAX_ERROR');
    assert.match(unknown.message, /near `selec/);
  });

  it('refuses an unknown column and an unknown index by name', async () => {
    const column = await region.fails('select nope from student;');
    assert.equal(column.code, 'COLUMN_NOT_FOUND');
    assert.match(column.message, /`nope`/);
    const index = await region.fails('drop index nope;');
    assert.equal(index.code, 'INDEX_NOT_FOUND');
    assert.equal(index.message, 'index `nope` does not exist');
    const twice = await region.fails('create index idx_name on student (sage);');
    assert.equal(twice.code, 'INDEX_EXISTS');
  });

  it('refuses bad table definitions with the reason', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['create table nokey (a int);', 'INVALID_DEFINITION', /primary key is required/],
      ['create table twokeys (a int, b int, primary key (a, b));', 'INVALID_DEFINITION', /one column/],
      ['create table badtype (a datetime, primary key (a));', 'UNKNOWN_TYPE', /unknown type `datetime` for column `a`/],
      ['create table badtype (a blobby, primary key (a));', 'SYNTAX_ERROR', /near `blobby/],
      ['create table zero (a int, b char(0), primary key (a));', 'UNKNOWN_TYPE', /between 1 and 255/],
      ['create table big (a int, b char(256), primary key (a));', 'UNKNOWN_TYPE', /between 1 and 255/],
      ['create table dup (a int, a int, primary key (a));', 'INVALID_DEFINITION', /defined twice/],
      ['create table sqlite_x (a int, primary key (a));', 'INVALID_NAME', /reserved/],
    ];
    for (const [sql, code, message] of cases) {
      const error = await region.fails(sql);
      assert.equal(error.code, code, sql);
      assert.match(error.message, message, sql);
    }
    const columns = Array.from({ length: 33 }, (_, i) => `c${i} int`).join(', ');
    const wide = await region.fails(`create table wide (${columns}, primary key (c0));`);
    assert.equal(wide.code, 'INVALID_DEFINITION');
    assert.match(wide.message, /33 columns is more than the limit of 32/);
    const exactly32 = Array.from({ length: 32 }, (_, i) => `c${i} int`).join(', ');
    await region.execute(`create table wide (${exactly32}, primary key (c0));`);
  });
});

describe('types are enforced', () => {
  before(async () => {
    await region.execute('create table typed (i int, f float, c char(4), b bigint, primary key (i));');
  });

  it('an int column rejects 1.5 and a string', async () => {
    const fraction = await region.fails("insert into typed values (1.5, 1, 'a', 1);");
    assert.equal(fraction.code, 'TYPE_MISMATCH');
    assert.equal(fraction.message, 'value `1.5` does not fit `int` column `i`');
    const text = await region.fails("insert into typed values ('x', 1, 'a', 1);");
    assert.equal(text.code, 'TYPE_MISMATCH');
    assert.equal(text.message, "value `'x'` does not fit `int` column `i`");
  });

  it('an int column rejects values outside 32 bits; bigint takes them', async () => {
    const error = await region.fails("insert into typed values (2147483648, 1, 'a', 1);");
    assert.equal(error.code, 'VALUE_OUT_OF_RANGE');
    await region.execute("insert into typed values (2147483647, 1, 'a', 9007199254740991);");
    assert.deepEqual(await region.rows('select i, b from typed where i = 2147483647;'), [[2147483647, 9007199254740991]]);
  });

  it('a float column accepts integers, a char column rejects numbers', async () => {
    await region.execute("insert into typed values (1, 3, 'abcd', 1);");
    assert.deepEqual(await region.rows('select f from typed where i = 1;'), [[3]]);
    const error = await region.fails('insert into typed values (2, 1.5, 12, 1);');
    assert.equal(error.code, 'TYPE_MISMATCH');
    assert.match(error.message, /`char\(4\)` column `c`/);
  });

  it('an update that computes a bad value is refused by the column constraint', async () => {
    const literal = await region.fails("update typed set c = 'toolong' where i = 1;");
    assert.equal(literal.code, 'VALUE_TOO_LONG');
    const computed = await region.fails("update typed set c = c || 'x' where i = 1;");
    assert.equal(computed.code, 'VALUE_TOO_LONG');
    assert.match(computed.message, /computed value too long for `char\(4\)` column `c`/);
    const fraction = await region.fails('update typed set i = i + 0.5 where i = 1;');
    assert.equal(fraction.code, 'TYPE_MISMATCH');
    assert.deepEqual(await region.rows('select c from typed where i = 1;'), [['abcd']]);
  });

  it('not null and default are enforced and applied', async () => {
    await region.execute("create table defaults (id int primary key, name varchar(10) not null default 'anon', note text, score double default 1.5);");
    await region.execute('insert into defaults (id) values (1);');
    assert.deepEqual(await region.rows('select * from defaults;'), [[1, 'anon', null, 1.5]]);
    const error = await region.fails('insert into defaults values (2, null, null, null);');
    assert.equal(error.code, 'NOT_NULL_VIOLATION');
    assert.equal(error.message, 'column `name` cannot be null');
  });
});

describe('writes are all-or-nothing', () => {
  before(async () => {
    await region.execute('create table atomic (k int, u char(8) unique, primary key (k));');
    await region.execute("insert into atomic values (1, 'one');");
  });

  it('a multi-row insert with a duplicate primary key in its last row inserts nothing', async () => {
    const error = await region.fails("insert into atomic values (2, 'two'), (3, 'three'), (1, 'again');");
    assert.equal(error.code, 'DUPLICATE_KEY');
    assert.match(error.message, /`1` for primary key column `k`/);
    assert.deepEqual(await region.rows('select k from atomic;'), [[1]]);
  });

  it('a multi-row insert that repeats a unique value within itself inserts nothing', async () => {
    const error = await region.fails("insert into atomic values (5, 'five'), (6, 'five');");
    assert.equal(error.code, 'DUPLICATE_KEY');
    assert.match(error.message, /`'five'` for unique column `u`/);
    assert.deepEqual(await region.rows('select k from atomic;'), [[1]]);
  });

  it('a multi-row insert with a bad type in a later row inserts nothing', async () => {
    const error = await region.fails("insert into atomic values (7, 'seven'), (8, 'way too long');");
    assert.equal(error.code, 'VALUE_TOO_LONG');
    assert.deepEqual(await region.rows('select k from atomic;'), [[1]]);
  });

  it('an update that would collide on a unique column changes no row', async () => {
    await region.execute("insert into atomic values (2, 'two'), (3, 'three');");
    const error = await region.fails("update atomic set u = 'same' where k >= 2;");
    assert.equal(error.code, 'DUPLICATE_KEY');
    assert.deepEqual(await region.rows('select u from atomic order by k;'), [['one'], ['two'], ['three']]);
  });
});

describe('beyond the baseline', () => {
  before(async () => {
    await region.execute('create table emp (id int primary key, name varchar(20) not null, dept char(8), salary double, boss int);');
    await region.execute(`insert into emp values
      (1, 'ann', 'eng', 120, null), (2, 'ben', 'eng', 100, 1), (3, 'cat', 'ops', 90, 1),
      (4, 'dan', 'ops', 80, 3), (5, 'eve', null, 70, 3);`);
    await region.execute('create table dept (code char(8) primary key, title text);');
    await region.execute("insert into dept values ('eng', 'Engineering'), ('ops', 'Operations');");
  });

  it('updates rows and reports how many changed', async () => {
    const result = await region.execute("update emp set salary = salary + 10 where dept = 'ops';");
    assert.equal(result.rowsAffected, 2);
    assert.deepEqual(await region.rows("select salary from emp where dept = 'ops' order by id;"), [[100], [90]]);
  });

  it('supports or, not, parentheses, between, in, like and is null', async () => {
    const ids = async (where: string): Promise<unknown[]> => (await region.rows(`select id from emp where ${where} order by id;`)).map((r) => r[0]);
    assert.deepEqual(await ids("dept = 'ops' or salary > 110"), [1, 3, 4]);
    assert.deepEqual(await ids("not (dept = 'eng')"), [3, 4]);
    assert.deepEqual(await ids('salary between 90 and 100'), [2, 3, 4]);
    assert.deepEqual(await ids('id in (1, 5)'), [1, 5]);
    assert.deepEqual(await ids("name like '_a%'"), [3, 4]);
    assert.deepEqual(await ids('dept is null'), [5]);
    assert.deepEqual(await ids('boss is not null and (id < 3 or id > 4)'), [2, 5]);
  });

  it('orders, limits and offsets', async () => {
    assert.deepEqual(await region.rows('select name from emp order by salary desc, id limit 2 offset 1;'), [['ben'], ['cat']]);
  });

  it('aggregates with group by and having', async () => {
    const rows = await region.rows(
      'select dept, count(*), sum(salary), avg(salary), min(id), max(id) from emp where dept is not null group by dept having count(*) > 1 order by dept;',
    );
    assert.deepEqual(rows, [
      ['eng', 2, 220, 110, 1, 2],
      ['ops', 2, 190, 95, 3, 4],
    ]);
  });

  it('joins tables, including a self join', async () => {
    const rows = await region.rows('select e.name, d.title from emp e join dept d on e.dept = d.code where e.id <= 3 order by e.id;');
    assert.deepEqual(rows, [
      ['ann', 'Engineering'],
      ['ben', 'Engineering'],
      ['cat', 'Operations'],
    ]);
    const left = await region.rows('select e.name, d.title from emp e left join dept d on e.dept = d.code where e.id = 5;');
    assert.deepEqual(left, [['eve', null]]);
    const self = await region.rows('select e.name, b.name from emp e join emp b on e.boss = b.id where e.id = 4;');
    assert.deepEqual(self, [['dan', 'cat']]);
  });

  it('answers a subquery over another table and an insert from a select', async () => {
    assert.deepEqual(await region.rows("select name from emp where dept in (select code from dept where title like 'Eng%') order by id;"), [['ann'], ['ben']]);
    await region.execute('create table emp_copy (id int primary key, name varchar(20));');
    assert.equal((await region.execute('insert into emp_copy select id, name from emp where id > 3;')).rowsAffected, 2);
    assert.deepEqual(await region.rows('select * from emp_copy order by id;'), [
      [4, 'dan'],
      [5, 'eve'],
    ]);
  });

  it('lists tables and indexes', async () => {
    const tables = (await region.rows('show tables;')).map((r) => r[0]);
    assert.ok(tables.includes('emp') && tables.includes('dept') && tables.includes('student'));
    assert.deepEqual(
      tables,
      [...tables].sort((a, b) => String(a).localeCompare(String(b))),
    );
    const all = await region.rows('show indexes;');
    assert.ok(all.some((r) => r[0] === 'dept' && r[1] === 'PRIMARY' && r[2] === 'code'));
  });

  it('keeps identifier case and matches names without regard to case', async () => {
    await region.execute('create table MixedCase (Id int primary key, Val text);');
    await region.execute("INSERT INTO mixedcase VALUES (1, 'x');");
    const result = await region.execute('SELECT * FROM MIXEDCASE;');
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['Id', 'Val'],
    );
    assert.ok((await region.rows('show tables;')).some((r) => r[0] === 'MixedCase'));
    const clash = await region.fails('create table mixedcase (a int primary key);');
    assert.equal(clash.code, 'TABLE_EXISTS');
  });
});

describe('text in statements', () => {
  before(async () => {
    await region.execute('create table notes (id int primary key, body text);');
  });

  it('keeps a quote inside a string, in both quoting styles, and backslashes as written', async () => {
    await region.execute("insert into notes values (1, 'it''s');");
    await region.execute('insert into notes values (2, "say ""hi""");');
    await region.execute('insert into notes values (3, "it\'s");');
    await region.execute("insert into notes values (4, 'back\\slash');");
    assert.deepEqual(await region.rows('select body from notes order by id;'), [["it's"], ['say "hi"'], ["it's"], ['back\\slash']]);
  });

  it('stores and matches unicode text', async () => {
    await region.execute("insert into notes values (5, 'héllo wörld ☃ 日本語 🎉');");
    assert.deepEqual(await region.rows("select id from notes where body = 'héllo wörld ☃ 日本語 🎉';"), [[5]]);
    await region.execute('create table tiny (id int primary key, c char(2));');
    await region.execute("insert into tiny values (1, '日本');");
    await region.execute("insert into tiny values (2, '🎉🎉');");
    assert.equal((await region.fails("insert into tiny values (3, '日本語');")).code, 'VALUE_TOO_LONG');
  });

  it('ignores -- and /* */ comments, also around and inside statements', async () => {
    const rows = await region.rows(`-- leading comment
      select /* inline; with a semicolon */ body -- trailing
      from notes where id = 1; -- after`);
    assert.deepEqual(rows, [["it's"]]);
    await region.execute("insert into notes values (6, '-- not a comment /* nor this */');");
    assert.deepEqual(await region.rows('select body from notes where id = 6;'), [['-- not a comment /* nor this */']]);
  });

  it('accepts one statement spread over many lines', async () => {
    const rows = await region.rows('select\n  id\n,\n  body\nfrom\n  notes\nwhere\n  id\n  =\n  2\n;');
    assert.deepEqual(rows, [[2, 'say "hi"']]);
  });

  it('binds ? placeholders and checks their count', async () => {
    await region.execute('insert into notes values (?, ?);', [7, 'bound']);
    assert.deepEqual(await region.rows('select body from notes where id = 7;'), [['bound']]);
    const error = await region.fails('insert into notes values (?, ?);', [8]);
    assert.equal(error.code, 'PARAMETER_COUNT_MISMATCH');
  });
});
