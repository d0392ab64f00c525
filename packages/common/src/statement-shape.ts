/**
 * Statement shapes: a statement's text with its literal values lifted out into `?`
 * parameters, so that every text of one shape (`select v from kv where id = 4711`,
 * `... where id = 4712`) shares one analysis and one SQLite prepared statement. The
 * idea is PostgreSQL's query jumbling and MySQL's statement digests, used here for
 * execution rather than statistics, so a literal is lifted only where a bound value
 * means exactly what the literal meant:
 *
 * - only in SELECT, INSERT, UPDATE and DELETE (DDL keeps its literals: type lengths,
 *   defaults);
 * - not in a result column list, nor in RETURNING (SQLite names an unaliased result
 *   column after its text: `select 1 + 1` is a column named `1 + 1`);
 * - not in ORDER BY or GROUP BY (`order by 1` is the first column, `order by ?` a
 *   constant), nor in LIMIT and OFFSET;
 * - not inside a function's arguments (`strftime('%s', 'now')` stays readable to the
 *   determinism checks, which look at the text), nor a window definition;
 * - not where a string is a name (`from 'kv'`, `as 'x'`, `t 'alias'`), nor a blob
 *   (`x'00'`), nor an integer beyond 64 bits (SQLite reads it as a float);
 * - integers are lifted as bigints (bound as SQLite INTEGER: `7 / 2` stays 3) and other
 *   numbers as floats (REAL), strings as text; NULL, TRUE and FALSE stay in the text, and
 *   so does a float literal with an integral value (`2.0`, `1e3`), which a JavaScript
 *   number cannot tell from an integer.
 *
 * A statement with numbered or named parameters (`?1`, `:name`) is not shaped at all.
 * Whitespace and comments are kept as they are, so texts differing only there are
 * different shapes (applications send one spelling). Pure: no I/O.
 */
import { isSignificant, tokenize, type Token } from './sql-lexer.js';
import type { SqlParam } from './sql-values.js';

export interface StatementShape {
  /** The statement with its lifted literals replaced by `?`. */
  sql: string;
  /** Parameters for `sql`: the statement's own and the lifted values, in placeholder order. */
  params: SqlParam[];
  /** Where the lifted literals are in the statement's text: [start, end) offsets, in order (as many as were lifted). */
  spans: Array<[number, number]>;
}

/** Longest text shaped, in characters: longer ones (bulk inserts) are sent once, not repeated. */
export const SHAPE_TEXT_MAX = 2_048;

const INT64_MAX = 9_223_372_036_854_775_807n;
const LITERAL_CHARACTER = /[0-9'"]/;
const DIGITS = /^\d+$/;

/** Keywords after which `(` opens a group or a list, not a function's arguments. */
const GROUPING_KEYWORDS = new Set([
  'in',
  'values',
  'exists',
  'and',
  'or',
  'not',
  'on',
  'where',
  'having',
  'when',
  'then',
  'else',
  'select',
  'from',
  'join',
  'as',
  'set',
  'using',
  'is',
  'like',
  'glob',
  'between',
  'case',
  'union',
  'all',
  'distinct',
  'by',
  'returning',
  'escape',
  'intersect',
  'except',
  'regexp',
  'match',
]);

/** Keywords after which a literal is a value (other keywords may take it as a name). */
const VALUE_KEYWORDS = new Set([
  'where',
  'and',
  'or',
  'not',
  'when',
  'then',
  'else',
  'case',
  'between',
  'is',
  'like',
  'glob',
  'escape',
  'on',
  'having',
  'regexp',
  'match',
  'in',
]);

/** Keywords that mean no statement of theirs is shaped. */
const UNSHAPED_KEYWORDS = new Set(['over', 'window', 'with', 'pragma']);

type Clause = 'values' | 'names' | 'fixed';

interface Frame {
  /** A function's arguments: nothing inside is lifted. */
  call: boolean;
  clause: Clause;
}

/**
 * The shape of `sql` with `params`, or null when the statement is not one that is shaped
 * (not a row statement, too long, numbered parameters, nothing to lift, or a parameter
 * count that does not match: the unshaped path reports that).
 */
export function statementShape(sql: string, params: readonly SqlParam[]): StatementShape | null {
  // Every literal holds a digit or a quote; a text with neither (a shape itself, or a
  // statement with `?` only) has nothing to lift, and skips the lexer.
  if (sql.length > SHAPE_TEXT_MAX || !LITERAL_CHARACTER.test(sql)) return null;
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch {
    return null; // the unshaped path reports the syntax error with its position
  }
  const significant = tokens.filter(isSignificant);
  const first = significant[0];
  if (first === undefined || first.kind !== 'identifier') return null;
  const keyword = first.text.toLowerCase();
  if (keyword !== 'select' && keyword !== 'insert' && keyword !== 'update' && keyword !== 'delete') return null;
  const liftable = liftableLiterals(significant);
  if (liftable === null || liftable.size === 0) return null;

  let text = '';
  const shaped: SqlParam[] = [];
  const spans: Array<[number, number]> = [];
  let next = 0;
  for (const token of tokens) {
    const lifted = liftable.get(token);
    if (token.kind === 'parameter') {
      if (next >= params.length) return null;
      shaped.push(params[next++] as SqlParam);
      text += token.text;
    } else if (lifted !== undefined) {
      shaped.push(lifted);
      spans.push([token.start, token.end]);
      text += '?';
    } else {
      text += token.text;
    }
  }
  if (next !== params.length) return null;
  return { sql: text, params: shaped, spans };
}

/**
 * The parameter a literal becomes, or undefined when the literal stays in the text
 * wherever it stands: an integer beyond 64 bits (SQLite reads it as a float), or a
 * decimal with an integral value (2.0 and 1e3 are REAL in SQLite, but as a JavaScript
 * number they are integers and would travel as INTEGER: into a text column `'2.0'`
 * would become `'2'`). Strings are lifted as their content.
 */
export function literalParam(kind: 'number' | 'string', text: string, value: string): SqlParam | undefined {
  if (kind === 'string') return value;
  if (DIGITS.test(text)) {
    const integer = BigInt(text);
    return integer > INT64_MAX ? undefined : integer;
  }
  const decimal = Number(text);
  return Number.isInteger(decimal) ? undefined : decimal;
}

/** The literal tokens that become parameters, with their values, or null when the statement must stay as it is. */
function liftableLiterals(tokens: readonly Token[]): Map<Token, SqlParam> | null {
  const liftable = new Map<Token, SqlParam>();
  const frames: Frame[] = [{ call: false, clause: 'values' }];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const previous = tokens[i - 1];
    const following = tokens[i + 1];
    const frame = frames[frames.length - 1] as Frame;
    switch (token.kind) {
      case 'identifier': {
        const word = token.text.toLowerCase();
        if (UNSHAPED_KEYWORDS.has(word)) return null;
        // A number glued to a name is a hex or suffixed number (0x1F): leave the statement alone.
        if (previous?.kind === 'number' && previous.end === token.start) return null;
        const clause = clauseAfter(word, following, previous);
        if (clause !== undefined) frame.clause = clause;
        break;
      }
      case 'parameter':
        // ?NNN: a numbered parameter.
        if (following?.kind === 'number' && following.start === token.end) return null;
        break;
      case 'operator':
        if (token.text === ':' || token.text === '@') return null; // named parameters
        if (token.text === '(') {
          const call =
            previous !== undefined &&
            (previous.kind === 'quoted_identifier' || (previous.kind === 'identifier' && !GROUPING_KEYWORDS.has(previous.text.toLowerCase())));
          frames.push({ call, clause: 'values' });
        } else if (token.text === ')') {
          if (frames.length === 1) return null; // unbalanced: the unshaped path reports it
          frames.pop();
        }
        break;
      case 'number':
      case 'string': {
        const param = isLiftable(token, previous, following, frames) ? literalParam(token.kind, token.text, token.value) : undefined;
        if (param !== undefined) liftable.set(token, param);
        break;
      }
      default:
        break;
    }
  }
  return frames.length === 1 ? liftable : null;
}

/** The clause a keyword starts, if it starts one. */
function clauseAfter(word: string, following: Token | undefined, previous: Token | undefined): Clause | undefined {
  switch (word) {
    case 'select':
    case 'returning':
      return 'names';
    case 'from':
      // `a is distinct from b` is an operator, not the start of FROM.
      return previous?.kind === 'identifier' && previous.text.toLowerCase() === 'distinct' ? undefined : 'values';
    case 'where':
    case 'having':
    case 'set':
    case 'values':
    case 'on':
    case 'union':
    case 'intersect':
    case 'except':
      return 'values';
    case 'order':
    case 'group':
      return following?.kind === 'identifier' && following.text.toLowerCase() === 'by' ? 'fixed' : undefined;
    case 'limit':
    case 'offset':
      return 'fixed';
    default:
      return undefined;
  }
}

function isLiftable(token: Token, previous: Token | undefined, following: Token | undefined, frames: readonly Frame[]): boolean {
  if (!frames.every((frame) => !frame.call && frame.clause === 'values')) return false;
  // x'00' is a blob; 'kv'.column is a name.
  if (previous !== undefined && previous.end === token.start && previous.kind === 'identifier') return false;
  if (following?.kind === 'operator' && (following.text === '.' || following.text === '(')) return false;
  if (previous === undefined) return false;
  if (previous.kind === 'identifier' && !VALUE_KEYWORDS.has(previous.text.toLowerCase())) return false;
  if (previous.kind !== 'identifier' && previous.kind !== 'operator') return false;
  return !(previous.kind === 'operator' && previous.text === '.');
}
