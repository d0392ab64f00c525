/**
 * Tab completion for the REPL: SQL keywords, client commands, table names and column
 * names. Pure: the REPL passes the catalog it last fetched (tables, and the columns of
 * each); this file never talks to the server.
 */
import { isSignificant, tokenize, type Token } from '@minisql/common';

/** Words of the SQL minisql speaks (docs/sql.md), plus common functions. */
export const SQL_KEYWORDS: readonly string[] = [
  'admin',
  'all',
  'alter',
  'and',
  'as',
  'asc',
  'avg',
  'between',
  'bigint',
  'by',
  'case',
  'char',
  'count',
  'create',
  'cross',
  'default',
  'delete',
  'desc',
  'describe',
  'distinct',
  'double',
  'drop',
  'else',
  'end',
  'exists',
  'float',
  'from',
  'grant',
  'grants',
  'group',
  'having',
  'identified',
  'if',
  'in',
  'index',
  'indexes',
  'inner',
  'insert',
  'int',
  'integer',
  'into',
  'is',
  'join',
  'key',
  'left',
  'like',
  'limit',
  'max',
  'min',
  'move',
  'not',
  'null',
  'offset',
  'on',
  'or',
  'order',
  'outer',
  'primary',
  'read',
  'real',
  'rebalance',
  'recursive',
  'revoke',
  'select',
  'set',
  'show',
  'sum',
  'switchover',
  'table',
  'tables',
  'text',
  'then',
  'to',
  'union',
  'unique',
  'update',
  'user',
  'users',
  'values',
  'varchar',
  'when',
  'where',
  'with',
  'write',
];

/** Commands the client runs itself (script-runner.ts). */
export const CLIENT_COMMAND_WORDS: readonly string[] = ['dump', 'execfile', 'exit', 'help', 'quit', 'source', 'status', 'verify'];

/** After these words a table name is likely, so an empty fragment lists the tables. */
const TABLE_CONTEXT_WORDS: ReadonlySet<string> = new Set(['from', 'join', 'into', 'update', 'table', 'describe', 'desc', 'on']);

/** After these, a column name is likely, so an empty fragment lists the columns in play. */
const COLUMN_CONTEXT_WORDS: ReadonlySet<string> = new Set([
  'select',
  'where',
  'by',
  'set',
  'and',
  'or',
  'having',
  'distinct',
  ',',
  '(',
  '=',
  '<',
  '>',
  '<=',
  '>=',
  '<>',
  '!=',
]);

/** Columns of each table, by lower-case table name. */
export type ColumnCatalog = ReadonlyMap<string, readonly string[]>;

/** The word being typed at the end of the line: letters, digits, `_`, `$`. */
const FRAGMENT_AT_END = /[\p{L}\p{N}_$]*$/u;

/** What Node's readline expects from a completer: the candidates and the text they complete. */
export type CompletionResult = [string[], string];

/**
 * Candidates for the word at the end of `line`. Keywords come back in the case style
 * the user is typing in (readline inserts only the candidate's tail, so a lower-case
 * "sel" must not become "selECT"); table names come back as stored.
 */
export function complete(line: string, tableNames: readonly string[], columns: ColumnCatalog = new Map()): CompletionResult {
  const fragment = FRAGMENT_AT_END.exec(line)?.[0] ?? '';
  const before = significantTokensOf(line.slice(0, line.length - fragment.length));
  // Inside a string, a quoted name or a comment nothing is a keyword: complete nothing.
  if (before === null) return [[], fragment];
  const prefix = fragment.toLowerCase();
  const matching = (names: readonly string[]) => names.filter((name) => name.toLowerCase().startsWith(prefix));
  // `table.` is followed by that table's columns, and by nothing else.
  const [qualifier, dot] = [before.at(-2), before.at(-1)];
  const inPlay = columnsInPlay(before, tableNames, columns);
  if (dot?.kind === 'operator' && dot.text === '.' && qualifier?.kind === 'identifier') {
    // An alias (`u.` for `users u`) is not a table name: the columns in play, then.
    return [[...matching(columns.get(qualifier.text.toLowerCase()) ?? inPlay)].sort(compareNames), fragment];
  }
  if (fragment === '') {
    const previous = before.at(-1);
    const word = previous?.kind === 'identifier' ? previous.text.toLowerCase() : previous?.kind === 'operator' ? previous.text : '';
    if (previous?.kind === 'identifier' && TABLE_CONTEXT_WORDS.has(word)) return [[...tableNames].sort(compareNames), fragment];
    return [COLUMN_CONTEXT_WORDS.has(word) ? [...inPlay].sort(compareNames) : [], fragment];
  }
  // Client commands are whole statements, so they are offered only as a statement's first word.
  const atStatementStart = before.length === 0 || before.at(-1)?.kind === 'semicolon';
  const vocabulary = atStatementStart ? [...SQL_KEYWORDS, ...CLIENT_COMMAND_WORDS] : SQL_KEYWORDS;
  const words = vocabulary.filter((word) => word.startsWith(prefix)).map((word) => inCaseStyleOf(fragment, word));
  const candidates = [...new Set([...words, ...matching(tableNames), ...(atStatementStart ? [] : matching(inPlay))])].sort(compareNames);
  return [candidates, fragment];
}

/**
 * The columns a word of the statement being typed may name: those of the tables it
 * mentions so far, or, before any (`select <Tab>`, the table comes after), of every table.
 */
function columnsInPlay(before: readonly Token[], tableNames: readonly string[], columns: ColumnCatalog): string[] {
  let start = before.length;
  while (start > 0 && before[start - 1]?.kind !== 'semicolon') start -= 1;
  const known = new Set(tableNames.map((name) => name.toLowerCase()));
  const mentioned = before
    .slice(start)
    .filter((token) => token.kind === 'identifier' && known.has(token.text.toLowerCase()))
    .map((token) => token.text.toLowerCase());
  const tables = mentioned.length > 0 ? mentioned : [...columns.keys()];
  return [...new Set(tables.flatMap((table) => columns.get(table) ?? []))];
}

/**
 * The significant tokens of `text`, or null when `text` ends inside a string, quoted
 * name or comment (or cannot be tokenized at all: then no completion is safe).
 */
function significantTokensOf(text: string): Token[] | null {
  let tokens: Token[];
  try {
    tokens = tokenize(text, { verticalTerminator: true });
  } catch {
    return null;
  }
  const last = tokens.at(-1);
  if (last !== undefined && (last.kind === 'comment' || last.kind === 'string' || last.kind === 'quoted_identifier')) {
    // A line comment runs to the end of the line, and a word right after a closing quote is not a new word.
    return null;
  }
  return tokens.filter(isSignificant);
}

/** `word` in the case style of `typed`: UPPER, Capitalized, or lower (the default). */
export function inCaseStyleOf(typed: string, word: string): string {
  const upper = typed.toUpperCase();
  const lower = typed.toLowerCase();
  if (upper === lower) return word.toLowerCase(); // no letters typed yet ("$"): no style to follow
  if (typed === upper) return word.toUpperCase();
  if (typed.length > 1 && typed[0] === upper[0] && typed.slice(1) === lower.slice(1)) {
    return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
  }
  return word.toLowerCase();
}

/** Alphabetical without regard to case, so `Orders` sits next to `order`. */
function compareNames(a: string, b: string): number {
  const byLetters = a.toLowerCase().localeCompare(b.toLowerCase(), 'en');
  return byLetters !== 0 ? byLetters : a.localeCompare(b, 'en');
}
