import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isBareCommand, parseClientCommand } from '../src/client-commands.js';

describe('parseClientCommand', () => {
  it('recognises quit, exit and help in any case, after comments', () => {
    assert.deepEqual(parseClientCommand('QUIT'), { kind: 'quit' });
    assert.deepEqual(parseClientCommand('-- done\nexit'), { kind: 'quit' });
    assert.deepEqual(parseClientCommand('Help'), { kind: 'help' });
  });

  it('takes source FILE as MySQL does, the same as execfile, and names it when the file is missing', () => {
    assert.deepEqual(parseClientCommand('source data/big.sql'), { kind: 'execfile', path: 'data/big.sql' });
    assert.deepEqual(parseClientCommand("SOURCE '../my file.sql'"), { kind: 'execfile', path: '../my file.sql' });
    assert.throws(() => parseClientCommand('source'), /invalid source: expected a file name, as in source data.sql;/);
  });

  it('reads the execfile path bare, in single or double quotes, or in backticks', () => {
    assert.deepEqual(parseClientCommand('execfile data/big.sql'), { kind: 'execfile', path: 'data/big.sql' });
    assert.deepEqual(parseClientCommand("execfile '../my file.sql'"), { kind: 'execfile', path: '../my file.sql' });
    assert.deepEqual(parseClientCommand('execfile "a.sql"'), { kind: 'execfile', path: 'a.sql' });
    assert.deepEqual(parseClientCommand('execfile `b.sql`'), { kind: 'execfile', path: 'b.sql' });
  });

  it('names the table of verify and dump, bare or in backticks, or none', () => {
    assert.deepEqual(parseClientCommand('verify students'), { kind: 'verify', table: 'students' });
    assert.deepEqual(parseClientCommand('DUMP `odd table`'), { kind: 'dump', table: 'odd table' });
    assert.deepEqual(parseClientCommand('dump'), { kind: 'dump' });
    assert.throws(() => parseClientCommand('dump a b'), /invalid dump: expected a table name or nothing/);
  });

  it('leaves SQL for the server', () => {
    assert.equal(parseClientCommand('select quit from t'), null);
    assert.equal(parseClientCommand('show tables'), null);
  });

  it('refuses execfile without a file', () => {
    assert.throws(() => parseClientCommand('execfile'), { code: 'INVALID_ARGUMENT' });
  });
});

describe('isBareCommand', () => {
  it('accepts quit, exit and help typed alone without ;', () => {
    assert.equal(isBareCommand(' quit '), true);
    assert.equal(isBareCommand('EXIT'), true);
    assert.equal(isBareCommand('quit now'), false);
    assert.equal(isBareCommand('select 1'), false);
  });
});
