/**
 * Shape templates: the fast way to a statement's shape when a text of that shape has
 * been shaped before. A template is the first text's shape cut at its lifted literals
 * (`select v from kv where id = ` + literal + ``); a new text that is the same pieces
 * around other literals has the same shape, and its parameters are those literals. It
 * is matched by comparing strings and scanning the literals, with no tokens, no clause
 * rules and no new shape text to hash: the full shaping (statement-shape.ts) costs
 * several microseconds a statement, a match a fraction of one.
 *
 * A match must give exactly what `statementShape` gives for the new text. It does
 * because the new text lexes to the same tokens as the first, each literal replaced by
 * another literal, and every rule of the shaping reads only the tokens around a literal
 * and the literal's own value (`literalParam`, checked again for each new literal).
 * What could make the tokens differ is a literal that joins its neighbours (`x5`,
 * `5e`, `'a''`), so a template is only made where the character before each literal
 * cannot extend into it and the one after cannot continue it. Pure: no I/O.
 */
import { numberEnd, readQuoted, startsNumber } from './sql-lexer.js';
import { literalParam, SHAPE_TEXT_MAX, type StatementShape } from './statement-shape.js';
import type { SqlParam } from './sql-values.js';

export interface ShapeTemplate {
  /** Where templates are looked up (templateKey). */
  key: string;
  /** The text between the lifted literals: one more piece than literals. */
  pieces: string[];
  /** The shape's text. */
  sql: string;
}

/**
 * Before a lifted literal: whitespace, or an operator character that forms no longer
 * operator or comment with a digit, a dot or a quote.
 */
const BEFORE_LITERAL = new Set([...' \t\n\r(,=<>+-*/%|']);
/** After a lifted literal: what ends a number and cannot double a closing quote. */
const AFTER_LITERAL = new Set([...' \t\n\r),;']);

/**
 * Where a template of `sql` is looked up: its text up to the first quote, or the first
 * digit that does not continue a name (`t1`, `orders_2024`), so that statements on
 * tables named alike do not share one key. Any cut would be correct (a match compares
 * the whole text); this one keeps few templates under a key.
 */
export function templateKey(sql: string): string {
  for (let i = 0; i < sql.length; i += 1) {
    const code = sql.charCodeAt(i);
    if (code === 39 || code === 34) return sql.slice(0, i);
    if (code >= 48 && code <= 57 && !continuesName(sql.charCodeAt(i - 1))) return sql.slice(0, i);
  }
  return sql;
}

/** A character a name goes on with (as the lexer reads names): a letter, digit, `_`, `$` or any non-ASCII one. */
function continuesName(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 || code === 36 || code >= 128;
}

/**
 * The template of a text shaped with no parameters of its own, or null when a literal's
 * neighbours could join a different literal (no template then: such texts take the
 * full shaping every time).
 */
export function shapeTemplate(sql: string, shape: StatementShape): ShapeTemplate | null {
  const pieces: string[] = [];
  let from = 0;
  for (const [start, end] of shape.spans) {
    if (!BEFORE_LITERAL.has(sql[start - 1] ?? '')) return null;
    if (end < sql.length && !AFTER_LITERAL.has(sql[end] as string)) return null;
    pieces.push(sql.slice(from, start));
    from = end;
  }
  pieces.push(sql.slice(from));
  return { key: templateKey(sql), pieces, sql: shape.sql };
}

/** The parameters of `sql` when it is `template`'s pieces around liftable literals, else null. */
export function matchTemplate(template: ShapeTemplate, sql: string): SqlParam[] | null {
  const { pieces } = template;
  if (sql.length > SHAPE_TEXT_MAX || !sql.startsWith(pieces[0] as string)) return null;
  const params: SqlParam[] = [];
  let at = (pieces[0] as string).length;
  for (let i = 1; i < pieces.length; i += 1) {
    const param = literalAt(sql, at);
    if (param === null) return null;
    params.push(param.value);
    const piece = pieces[i] as string;
    if (!sql.startsWith(piece, param.end)) return null;
    at = param.end + piece.length;
  }
  return at === sql.length ? params : null;
}

function unterminated(): never {
  throw new RangeError('an unterminated string');
}

/** The liftable literal starting at `at` and where it ends, or null. */
function literalAt(sql: string, at: number): { value: SqlParam; end: number } | null {
  const quote = sql[at];
  if (quote === "'" || quote === '"') {
    try {
      return readQuoted(sql, at, quote, 'string', unterminated);
    } catch {
      return null; // the full shaping reports the unterminated string
    }
  }
  if (!startsNumber(sql, at)) return null;
  const end = numberEnd(sql, at);
  const value = literalParam('number', sql.slice(at, end), '');
  return value === undefined ? null : { value, end };
}
