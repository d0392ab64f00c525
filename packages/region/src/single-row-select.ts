/**
 * Whether a select can return at most one row, read from its text alone: the point
 * select people type most, `SELECT a, b FROM t WHERE key = ?`, on the table's primary
 * key or a unique column. Pure.
 *
 * Such a select is read with one call into SQLite (`all()`), not a row iterator: at one
 * client the iterator's extra calls were about 10 µs of a 30 µs read. Any other select
 * keeps the iterator, which stops at the result limits as rows come.
 *
 * Why the text and not SQLite's query plan: the plan of `key = 1 OR key = 2`, and of
 * `key IN (1, 2)`, is the same one-row SEARCH as `key = 1`, run once per value. So the
 * shape is matched exactly, and anything else (another condition, a join, a subquery, a
 * compound, a function, an alias) is not a match. At most one row holds because SQLite
 * keeps a unique index on the key, and an equality with NULL matches no row.
 */
import { isSignificant, nameKey, tokenize, type TableDefinition, type Token } from '@minisql/common';

/**
 * The text is the one SQLite runs (the analysis's `sql`): there every quoted name is in
 * double quotes and every string in single quotes (sql-rewrite.ts), while minisql's
 * lexer, reading MySQL, calls both strings. So a double-quoted token is a name, and only
 * a single-quoted one a value: `key = "other"` compares two columns.
 */
function isQuotedName(token: Token): boolean {
  return token.kind === 'quoted_identifier' || (token.kind === 'string' && token.text.startsWith('"'));
}

function isName(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'identifier' || isQuotedName(token));
}

function isValue(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'parameter' || token.kind === 'number' || (token.kind === 'string' && token.text.startsWith("'")));
}

function nameOf(token: Token): string {
  return isQuotedName(token) ? token.value : token.text;
}

function isWord(token: Token | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'identifier' && token.text.toLowerCase() === word;
}

function isOperator(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'operator' && token.text === text;
}

/** The select list: `*`, or names (`col` or `t.col`) separated by commas. Returns the index after it, or -1. */
function selectList(tokens: readonly Token[], start: number): number {
  let at = start;
  for (;;) {
    if (isOperator(tokens[at], '*')) at += 1;
    else if (isName(tokens[at]) && !isWord(tokens[at], 'from') && !isWord(tokens[at], 'distinct') && !isWord(tokens[at], 'all')) {
      at += 1;
      if (isOperator(tokens[at], '.')) {
        if (!isName(tokens[at + 1]) && !isOperator(tokens[at + 1], '*')) return -1;
        at += 2;
      }
    } else return -1;
    if (!isOperator(tokens[at], ',')) return at;
    at += 1;
  }
}

/** True when `sql` (the text SQLite runs, see isQuotedName) is `SELECT <names> FROM <table> WHERE <key> = <value>` on a unique key of `table`. */
export function selectsAtMostOneRow(sql: string, table: TableDefinition): boolean {
  const tokens = tokenize(sql).filter(isSignificant);
  if (!isWord(tokens[0], 'select')) return false;
  let at = selectList(tokens, 1);
  if (at < 0 || !isWord(tokens[at], 'from') || !isName(tokens[at + 1]) || !isWord(tokens[at + 2], 'where')) return false;
  if (nameKey(nameOf(tokens[at + 1]!)) !== nameKey(table.name)) return false;
  const key = tokens[at + 3];
  if (!isName(key) || !isOperator(tokens[at + 4], '=')) return false;
  if (!isValue(tokens[at + 5])) return false;
  at += 6;
  if (tokens[at]?.kind === 'semicolon') at += 1;
  if (at !== tokens.length) return false;
  const column = table.columns.find((candidate) => nameKey(candidate.name) === nameKey(nameOf(key!)));
  return column !== undefined && (column.primaryKey || column.unique || nameKey(table.primaryKey) === nameKey(column.name));
}
