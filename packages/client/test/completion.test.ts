import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { complete, inCaseStyleOf } from '../src/completion.js';

const TABLES = ['Orders', 'student', 'staff'];

describe('complete', () => {
  it('completes keywords in lower case when the user types lower case', () => {
    assert.deepEqual(complete('sel', []), [['select'], 'sel']);
    assert.deepEqual(complete('select * fr', []), [['from'], 'fr']);
  });

  it('completes keywords in UPPER case when the user types upper case', () => {
    assert.deepEqual(complete('SEL', []), [['SELECT'], 'SEL']);
    assert.deepEqual(complete('select * FROM t GRO', []), [['GROUP'], 'GRO']);
  });

  it('offers every keyword and client command sharing the prefix', () => {
    assert.deepEqual(complete('ex', []), [['execfile', 'exists', 'exit'], 'ex']);
    assert.deepEqual(complete('ind', []), [['index', 'indexes'], 'ind']);
  });

  it('completes table names as they are stored, whatever case is typed', () => {
    assert.deepEqual(complete('select * from ord', TABLES), [['order', 'Orders'], 'ord']);
    assert.deepEqual(complete('select * from ST', TABLES), [['staff', 'student'], 'ST']);
  });

  it('lists the tables after FROM, INTO, UPDATE, DESCRIBE even before a letter is typed', () => {
    assert.deepEqual(complete('select * from ', TABLES), [['Orders', 'staff', 'student'], '']);
    assert.deepEqual(complete('DESCRIBE ', TABLES), [['Orders', 'staff', 'student'], '']);
    assert.deepEqual(complete('select ', TABLES), [[], '']);
  });

  it('completes nothing inside a string or a comment', () => {
    assert.deepEqual(complete("insert into t values ('sel", []), [[], 'sel']);
    assert.deepEqual(complete('select 1 -- sel', []), [[], 'sel']);
    assert.deepEqual(complete('select 1 /* fr', []), [[], 'fr']);
  });

  it('offers nothing for a word no keyword or table starts with', () => {
    assert.deepEqual(complete('select qqq', TABLES), [[], 'qqq']);
  });
});

describe('complete with columns', () => {
  const COLUMNS = new Map([
    ['orders', ['id', 'customer', 'total']],
    ['student', ['id', 'name', 'grade']],
  ]);
  const T = ['Orders', 'student'];

  it("offers a table's columns after `table.`, and only those", () => {
    assert.deepEqual(complete('select student.', T, COLUMNS), [['grade', 'id', 'name'], '']);
    assert.deepEqual(complete('select orders.cu', T, COLUMNS), [['customer'], 'cu']);
  });

  it('offers the columns of the tables the statement names, beside keywords', () => {
    assert.deepEqual(complete('select * from student where gr', T, COLUMNS), [['grade', 'grant', 'grants', 'group'], 'gr']);
    assert.deepEqual(complete('select * from student where ', T, COLUMNS), [['grade', 'id', 'name'], '']);
    assert.deepEqual(complete('update orders set ', T, COLUMNS), [['customer', 'id', 'total'], '']);
    assert.deepEqual(complete('select id from orders where total > 3 and ', T, COLUMNS), [['customer', 'id', 'total'], '']);
  });

  it('before any table is named (`select <Tab>`), offers the columns of every table', () => {
    assert.deepEqual(complete('select ', T, COLUMNS), [['customer', 'grade', 'id', 'name', 'total'], '']);
    assert.deepEqual(complete('select na', T, COLUMNS), [['name'], 'na']);
  });

  it('counts only the statement being typed: a table of an earlier one on the line does not count', () => {
    assert.deepEqual(complete('select 1 from orders; select * from student where ', T, COLUMNS), [['grade', 'id', 'name'], '']);
  });

  it('after an alias and a dot, offers the columns of the tables named so far', () => {
    assert.deepEqual(complete('select s.na', T, COLUMNS), [['name'], 'na']);
    assert.deepEqual(complete('select * from student s where s.', T, COLUMNS), [['grade', 'id', 'name'], '']);
  });

  it('completes on a line that already holds a statement ended by \\G', () => {
    assert.deepEqual(complete('select 1\\G select * from student where gr', T, COLUMNS), [['grade', 'grant', 'grants', 'group'], 'gr']);
  });

  it('offers no column as the first word of a statement, nor inside a string', () => {
    assert.deepEqual(complete('na', T, COLUMNS), [[], 'na']);
    assert.deepEqual(complete("select * from student where name = 'gr", T, COLUMNS), [[], 'gr']);
  });
});

describe('inCaseStyleOf', () => {
  it('follows UPPER, Capitalized and lower typing', () => {
    assert.equal(inCaseStyleOf('SE', 'select'), 'SELECT');
    assert.equal(inCaseStyleOf('Se', 'select'), 'Select');
    assert.equal(inCaseStyleOf('se', 'select'), 'select');
    assert.equal(inCaseStyleOf('sE', 'select'), 'select');
  });
});
