/**
 * Property-based fuzzing of a running region: thousands of generated, mutated and random
 * statements. For every one: the process keeps answering, a failure carries a catalogued
 * code (never INTERNAL) and a reason, and a failed statement leaves the data unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isErrorCode, MiniSqlError } from '@minisql/common';
import { RegionFixture } from './support/region-fixture.js';

/** Statements per property; three properties run, so several thousand in all. */
const RUNS_PER_PROPERTY = 1_000;
/** Fixed seed: a failure is reproducible; set FUZZ_SEED to explore others. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

let region: RegionFixture;

before(async () => {
  region = await RegionFixture.start();
  await region.execute("create table fz (id int primary key, name char(8) unique, score float, note text default 'd');");
  await region.execute('create table fy (k int primary key, v varchar(5) not null);');
  await region.execute('create index fz_score on fz (score);');
  await reseed();
});
after(async () => {
  await region.stop();
});

/** Puts the seed rows back; a row still present makes its insert fail, which is fine here. */
async function reseed(): Promise<void> {
  for (const [id, name] of [
    [1, 'a'],
    [2, 'b'],
    [3, 'c'],
  ] as const) {
    await region.execute('insert into fz (id, name, score) values (?, ?, 1);', [id, name]).catch(() => undefined);
  }
  await region.execute("insert into fy values (1, 'x'), (2, 'y');").catch(() => undefined);
}

/** Everything a statement could change, in a comparable form. */
async function snapshot(): Promise<string> {
  const parts = await Promise.all([
    region.rows('select * from fz order by id;'),
    region.rows('select * from fy order by k;'),
    region.rows('show tables;'),
    region.rows('show indexes;'),
  ]);
  return JSON.stringify(parts);
}

const identifier = fc.constantFrom('fz', 'fy', 'ghost', 'id', 'name', 'score', 'note', 'k', 'v', 'nope', 'FZ', '`fz`', 'scratch');
const value = fc.oneof(
  fc.integer({ min: -5, max: 10 }).map(String),
  fc.constantFrom('2147483648', '-2147483649', '1.5', '1e400', '9007199254740993', 'null', 'true', '?'),
  fc.string({ maxLength: 12 }).map((s) => `'${s.replaceAll("'", "''")}'`),
  fc.string({ maxLength: 12 }).map((s) => `"${s.replaceAll('"', '""')}"`),
  fc.constantFrom("'a'", "'b'", "'toolongvalue'", "'日本語'", "''"),
);
const operator = fc.constantFrom('=', '<>', '<', '>', '<=', '>=', 'like', 'in', 'between', 'is');
const condition = fc
  .tuple(identifier, operator, value)
  .map(([column, op, v]) => (op === 'in' ? `${column} in (${v})` : op === 'between' ? `${column} between ${v} and ${v}` : `${column} ${op} ${v}`));
const where = fc.option(
  fc
    .tuple(fc.array(condition, { minLength: 1, maxLength: 3 }), fc.constantFrom(' and ', ' or '))
    .map(([conditions, join]) => ` where ${conditions.join(join)}`),
  { nil: '' },
);

const statement = fc.oneof(
  fc.tuple(identifier, where).map(([t, w]) => `select * from ${t}${w};`),
  fc
    .tuple(identifier, fc.array(fc.array(value, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }))
    .map(([t, rows]) => `insert into ${t} values ${rows.map((r) => `(${r.join(', ')})`).join(', ')};`),
  fc.tuple(identifier, identifier, value, where).map(([t, c, v, w]) => `update ${t} set ${c} = ${v}${w};`),
  fc.tuple(identifier, identifier, where).map(([t, c, w]) => `update ${t} set ${c} = ${c} || 'xxxxxxxxx'${w};`),
  fc.tuple(identifier, where).map(([t, w]) => `delete from ${t}${w};`),
  fc.tuple(identifier, identifier).map(([i, t]) => `create index ${i} on ${t} (${i});`),
  identifier.map((i) => `drop index ${i};`),
  fc
    .tuple(fc.constantFrom('int', 'char(0)', 'char(300)', 'float', 'blob', 'text'), identifier)
    .map(([type, c]) => `create table scratch (${c} ${type}, primary key (${c}));`),
  fc.constant('drop table scratch;'),
  identifier.map((t) => `describe ${t};`),
);

/** Valid statements cut, spliced or garbled in one place. */
const mutated = fc.tuple(statement, fc.nat(), fc.nat(), fc.constantFrom('delete', 'insert', 'truncate', 'swap', 'quote')).map(([sql, a, b, how]) => {
  const i = a % (sql.length + 1);
  const j = b % (sql.length + 1);
  switch (how) {
    case 'delete':
      return sql.slice(0, Math.min(i, j)) + sql.slice(Math.max(i, j));
    case 'insert':
      return sql.slice(0, i) + String.fromCharCode(32 + (b % 95)) + sql.slice(i);
    case 'truncate':
      return sql.slice(0, i);
    case 'swap':
      return sql.slice(j) + sql.slice(0, j);
    default:
      return sql.slice(0, i) + "'" + sql.slice(i);
  }
});

const random = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));

let before_ = '';
let statistics = { ok: 0, failed: 0 };

async function check(sql: string): Promise<void> {
  try {
    await region.execute(sql);
    statistics.ok += 1;
    // Keep the tables populated so later statements have rows to collide with.
    if ((await region.rows('select count(*) from fz;'))[0]?.[0] === 0) await reseed();
    before_ = await snapshot();
  } catch (thrown) {
    statistics.failed += 1;
    assert.ok(thrown instanceof MiniSqlError, `not a catalogued error: ${String(thrown)}`);
    assert.ok(isErrorCode(thrown.code), `unknown code ${thrown.code} for ${sql}`);
    assert.notEqual(thrown.code, 'INTERNAL', `${sql} -> ${thrown.message}`);
    assert.ok(thrown.message.length > 0, `no reason for ${sql}`);
    const after_ = await snapshot();
    assert.equal(after_, before_, `failed statement changed data: ${sql} (${thrown.code})`);
  }
}

describe('fuzzing a running region', () => {
  before(async () => {
    before_ = await snapshot();
  });

  for (const [name, arbitrary] of [
    ['generated statements', statement],
    ['mutated statements', mutated],
    ['random text', random],
  ] as const) {
    it(`answers ${RUNS_PER_PROPERTY} ${name} with results or catalogued errors, and failures change nothing`, async () => {
      statistics = { ok: 0, failed: 0 };
      await fc.assert(fc.asyncProperty(arbitrary, check), { numRuns: RUNS_PER_PROPERTY, seed: SEED, endOnFailure: true });
      await region.client.ping();
      // The property must have exercised both outcomes to prove anything.
      if (name !== 'random text') assert.ok(statistics.ok > 10 && statistics.failed > 10, JSON.stringify(statistics));
      else assert.ok(statistics.failed > RUNS_PER_PROPERTY / 2, JSON.stringify(statistics));
    });
  }
});
