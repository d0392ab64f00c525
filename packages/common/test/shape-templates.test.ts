import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AnalysisCache } from '../src/analysis-cache.js';
import { matchTemplate, shapeTemplate, type ShapeTemplate } from '../src/shape-templates.js';
import { statementShape } from '../src/statement-shape.js';

function templateOf(sql: string): ShapeTemplate | null {
  const shape = statementShape(sql, []);
  assert.ok(shape !== null, `${sql} has a shape`);
  return shapeTemplate(sql, shape);
}

/** Texts of many shapes, with literals of every kind in every liftable place. */
const CORPUS = [
  'select v from kv where id = 4711',
  'select v from kv where id=5;',
  'select v from kv where a >5 and b<6',
  'select v from kv where id = -5\n',
  'select * from t1 where a between 1 and 10 and b = 2.5',
  "select * from t where name like 'a%' escape '!'",
  'insert into kv (id, v) values (1, \'a\'), (2, "b")',
  "update kv set v = 'it''s' where id = 7;",
  'delete from kv where id in (1, 2.5, -3e2)',
  'select a, count(*) from t where b = 5 group by 1 order by 2 desc limit 3 offset 4',
  'select v from t where abs(x) = 2 and y in (select z from u where w = 3)',
  "update t set d = strftime('%s', 'now'), n = 3 where id = 1",
  'select (select max(v) from u where k = 5) from t where id = 6',
  'insert into t (a, b) values (1,2)',
  'select v from kv /* 7 */ where id = 8 -- 9\n and w = 10',
];

/** Literals and near-literals put where a text's literals were: each may or may not lift. */
const REPLACEMENTS = [
  '0',
  '42',
  '123456789',
  '.5',
  '5.',
  '1.25',
  '2.0',
  '1e3',
  '1e',
  '2.5e-3',
  '9223372036854775807',
  '9223372036854775808',
  "'abc'",
  '"x"',
  "'it''s'",
  "''",
  "'unterminated",
  '5abc',
  '5 6',
  'x',
  '?',
  'null',
  "'a' 'b'",
  '7)',
  "'é ✓'",
];

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('shape templates', () => {
  it('match a text of the same shape with other literals, giving its parameters', () => {
    const template = templateOf("update kv set v = 'a' where id = 7;");
    assert.ok(template !== null);
    assert.equal(template.sql, 'update kv set v = ? where id = ?;');
    assert.deepEqual(matchTemplate(template, "update kv set v = 'it''s' where id = 123;"), ["it's", 123n]);
    assert.deepEqual(matchTemplate(template, 'update kv set v = 1.5 where id = "x";'), [1.5, 'x']);
  });

  it('do not match other pieces, trailing text, or literals that stay in the text', () => {
    const template = templateOf('select v from kv where id = 5');
    assert.ok(template !== null);
    for (const sql of [
      'select w from kv where id = 5',
      'select v from kv where id = 5 ',
      'select v from kv where id = 5abc',
      'select v from kv where id = 2.0',
      'select v from kv where id = 9223372036854775808',
      "select v from kv where id = 'open",
      'select v from kv where id = x',
    ]) {
      assert.equal(matchTemplate(template, sql), null, sql);
    }
  });

  it('are not made where a literal could join its neighbours into another token', () => {
    assert.equal(templateOf('select v from kv where id = 5+1'), null);
    assert.equal(templateOf("select v from kv where id = 'a'||'b'"), null);
    assert.notEqual(templateOf('select v from kv where id = -5'), null);
  });

  it('are kept apart for tables named alike (t1, t2, ...): every repeated text is matched by its template', () => {
    const cache = new AnalysisCache(1_000);
    for (let table = 1; table <= 20; table += 1) cache.shaped(`select v from t${table} where id = 1`, []);
    const before = cache.templateHits;
    for (let table = 1; table <= 20; table += 1) {
      const shaped = cache.shaped(`select v from t${table} where id = ${table * 7}`, []);
      assert.equal(shaped.sql, `select v from t${table} where id = ?`);
      assert.deepEqual(shaped.params, [BigInt(table * 7)]);
    }
    assert.equal(cache.templateHits - before, 20);
  });

  it('keep no more templates than the cache holds analyses, however many shapes come', () => {
    const cache = new AnalysisCache(16);
    // 40 keys (a table each) of 8 shapes each (alike up to their first literal): 320 shapes.
    for (let table = 0; table < 40; table += 1)
      for (let column = 0; column < 8; column += 1) cache.shaped(`select v from t_${table} where a = 1 and c${column} = 2`, []);
    assert.equal(cache.templateCount, 16, "the last two tables' eight shapes each");
  });

  it('give exactly what the full shaping gives, for thousands of texts made from many shapes', () => {
    const next = random(20_261_201);
    const cache = new AnalysisCache(1_000);
    let compared = 0;
    for (const original of CORPUS) {
      const spans = statementShape(original, [])?.spans ?? [];
      assert.ok(spans.length > 0, original);
      cache.shaped(original, []); // makes the template
      for (let round = 0; round < 120; round += 1) {
        let sql = '';
        let from = 0;
        for (const [start, end] of spans) {
          const keep = next() < 0.3;
          sql += original.slice(from, start) + (keep ? original.slice(start, end) : (REPLACEMENTS[Math.floor(next() * REPLACEMENTS.length)] as string));
          from = end;
        }
        sql += original.slice(from);
        // A fresh cache has no template: it takes the full shaping.
        const fresh = new AnalysisCache(10);
        let reference: unknown;
        try {
          reference = fresh.shaped(sql, []);
        } catch (error) {
          reference = error;
        }
        let actual: unknown;
        try {
          actual = cache.shaped(sql, []);
        } catch (error) {
          actual = error;
        }
        assert.deepEqual(actual, reference, `${sql} (from ${original})`);
        compared += 1;
      }
    }
    assert.equal(compared, CORPUS.length * 120);
    // Most of those texts were shaped by a template, not by the full shaping.
    assert.ok(cache.templateHits > compared / 4, `${cache.templateHits} template hits of ${compared}`);
  });
});
