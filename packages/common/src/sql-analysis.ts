/**
 * Statement analysis: what kind of statement a text is, which tables it touches, and
 * the checked pieces the region needs to execute it (a table definition, literal rows).
 * Pure: no I/O, so the region can cache results by statement text.
 */
// The MySQL-only build: the default bundle holds the grammars of every dialect (2.5 MB
// of source, about 20 MB of memory in every process), and minisql parses as MySQL only.
import NodeSqlParser from 'node-sql-parser/build/mysql.js';
import { errors, MiniSqlError } from './errors.js';
import { isKeyword, isSignificant, lineAndColumn, tokenize, type Token } from './sql-lexer.js';
import { TokenCursor, type LiteralOrParameter } from './sql-cursor.js';
import { analyzeGrant, analyzeShowUsers, analyzeUserChange, USER_STATEMENT_KINDS, type UserStatement } from './sql-user-statements.js';
import { rewriteStatement, type RewrittenStatement } from './sql-rewrite.js';
import { checkName, nameKey } from './sql-names.js';
import { buildTableDefinition, type CreateTableAst, type TableDefinition } from './table-definition.js';

/** Longest statement text accepted, in characters; larger scripts are split by the client. */
export const STATEMENT_LENGTH_MAX = 4 * 1024 * 1024;

interface Common {
  /** The statement as SQLite executes it. */
  sql: string;
  /** Number of "?" placeholders. */
  parameterCount: number;
}

export interface LiteralInsert {
  /** Column names as written, or null for "all columns in table order". */
  columns: string[] | null;
  rows: LiteralOrParameter[][];
}

export interface LiteralAssignment {
  column: string;
  value: LiteralOrParameter;
}

export type AnalyzedStatement =
  | (Common & { kind: 'create_table'; table: string; definition: TableDefinition; ifNotExists: boolean })
  | (Common & { kind: 'drop_table'; table: string; ifExists: boolean })
  | (Common & { kind: 'create_index'; index: string; table: string; columns: string[]; unique: boolean; ifNotExists: boolean })
  | (Common & { kind: 'drop_index'; index: string; table: string | null; ifExists: boolean })
  | (Common & { kind: 'select'; tables: string[] })
  | (Common & { kind: 'insert'; table: string; tables: string[]; literal: LiteralInsert | null })
  | (Common & { kind: 'update'; table: string; tables: string[]; assignments: LiteralAssignment[] })
  | (Common & { kind: 'delete'; table: string; tables: string[] })
  | (Common & { kind: 'show_tables' })
  | (Common & { kind: 'show_indexes'; table: string | null })
  | (Common & { kind: 'describe'; table: string })
  | (Common & UserStatement)
  | (Common & { kind: 'switchover'; group: string; target: string | null })
  | (Common & { kind: 'move_table'; table: string; group: string })
  | (Common & { kind: 'rebalance' });

export type StatementKind = AnalyzedStatement['kind'];

/** Statements the master answers (the catalog and the users); the others go to the region holding the table. */
export const CATALOG_KINDS: ReadonlySet<StatementKind> = new Set<StatementKind>([
  'create_table',
  'drop_table',
  'create_index',
  'drop_index',
  'show_tables',
  'show_indexes',
  'describe',
  ...(USER_STATEMENT_KINDS as ReadonlySet<StatementKind>),
  'switchover',
  'move_table',
  'rebalance',
]);

/** True for statements that change data or schema (and so are replicated). */
export function isWrite(statement: AnalyzedStatement): boolean {
  return statement.kind !== 'select' && statement.kind !== 'show_tables' && statement.kind !== 'show_indexes' && statement.kind !== 'describe';
}

const parser = new NodeSqlParser.Parser();
/** Roughly the nesting the parser handles on Node's default stack; the message quotes it. */
const PARSER_NESTING_HINT = 1_000;
const PARSER_OPTIONS = { database: 'MySQL' };

/** Analyses one statement (a trailing ";" is allowed). Throws a MiniSqlError. */
export function analyzeStatement(source: string): AnalyzedStatement {
  if (source.length > STATEMENT_LENGTH_MAX) throw errors.limitExceeded('statement length in characters', STATEMENT_LENGTH_MAX);
  const all = tokenize(source);
  const tokens = statementTokens(all);
  // Semicolons left here only end empty statements (";;"), which mean nothing.
  const significant = tokens.filter((token) => isSignificant(token) && token.kind !== 'semicolon');
  const first = significant[0];
  if (first === undefined) throw errors.emptyStatement();
  const parameterCount = significant.filter((t) => t.kind === 'parameter').length;
  const cursor = new TokenCursor(source, significant);
  if (first.kind !== 'identifier') throw cursor.errorHere('a statement keyword such as SELECT');
  const keyword = first.text.toLowerCase();
  const rewritten = rewriteStatement(tokens);
  const common = { sql: rewritten.sqliteText, parameterCount };
  switch (keyword) {
    case 'show':
      if (isKeyword(significant[1], 'users') || isKeyword(significant[1], 'grants')) {
        cursor.next();
        return { ...common, ...analyzeShowUsers(cursor) };
      }
      return analyzeShow(cursor, common);
    case 'switchover': {
      // SWITCHOVER group [TO region]: a planned change of the group's primary.
      cursor.next();
      const group = cursor.expectName('group');
      const target = cursor.accept('to') ? cursor.expectName('region') : null;
      cursor.expectEnd();
      return { ...common, kind: 'switchover', group, target };
    }
    case 'move': {
      // MOVE TABLE t TO group: copy the table to another group while writes go on, then switch its route.
      cursor.next();
      cursor.expectKeyword('table');
      const table = cursor.expectName('table');
      cursor.expectKeyword('to');
      const group = cursor.expectName('group');
      cursor.expectEnd();
      return { ...common, kind: 'move_table', table, group };
    }
    case 'rebalance':
      // REBALANCE: move tables until every group holds about as many (and as many bytes).
      cursor.next();
      cursor.expectEnd();
      return { ...common, kind: 'rebalance' };
    case 'grant':
    case 'revoke':
      return { ...common, ...analyzeGrant(cursor, keyword) };
    case 'alter':
      if (isKeyword(significant[1], 'user')) return { ...common, ...analyzeUserChange(cursor, 'alter') };
      throw errors.unsupported('ALTER statement');
    case 'describe':
    case 'desc':
      cursor.next();
      return { ...common, kind: 'describe', table: checkedName(cursor, 'table') };
    case 'drop':
      if (isKeyword(significant[1], 'user')) return { ...common, ...analyzeUserChange(cursor, 'drop') };
      return analyzeDrop(cursor, common);
    case 'create':
      if (isKeyword(significant[1], 'user')) return { ...common, ...analyzeUserChange(cursor, 'create') };
      if (isKeyword(significant[1], 'index') || (isKeyword(significant[1], 'unique') && isKeyword(significant[2], 'index'))) {
        return analyzeCreateIndex(cursor, common);
      }
      return analyzeCreateTable(source, rewritten, significant, common);
    case 'select':
    case 'with':
      return analyzeQuery(source, rewritten, significant, common);
    case 'insert':
    case 'update':
    case 'delete':
      return analyzeWrite(source, rewritten, significant, common);
    default:
      if (KNOWN_UNSUPPORTED.has(keyword)) throw errors.unsupported(`${keyword.toUpperCase()} statement`);
      throw cursor.errorHere('a statement such as SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, SHOW or DESCRIBE');
  }
}

/** SQL statements a user may know from elsewhere that minisql deliberately does not run. */
const KNOWN_UNSUPPORTED = new Set([
  'analyze',
  'attach',
  'begin',
  'commit',
  'detach',
  'end',
  'explain',
  'lock',
  'pragma',
  'reindex',
  'release',
  'replace',
  'rollback',
  'savepoint',
  'set',
  'start',
  'truncate',
  'unlock',
  'use',
  'vacuum',
]);

/** The tokens of the one statement in `tokens`: trailing semicolons dropped, a second statement refused. */
function statementTokens(tokens: Token[]): Token[] {
  let end = tokens.length;
  let statements = 0;
  let content = false;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.kind === 'semicolon') {
      if (content) {
        statements += 1;
        if (statements === 1) end = i;
      }
      content = false;
    } else if (isSignificant(token)) {
      content = true;
    }
  }
  if (content) statements += 1;
  if (statements > 1) throw errors.multipleStatements(statements);
  return tokens.slice(0, end);
}

function checkedName(cursor: TokenCursor, kind: 'table' | 'index'): string {
  const name = cursor.expectName(kind);
  cursor.expectEnd();
  return name;
}

function analyzeShow(cursor: TokenCursor, common: Common): AnalyzedStatement {
  cursor.next();
  if (cursor.accept('tables')) {
    cursor.expectEnd();
    return { ...common, kind: 'show_tables' };
  }
  if (cursor.accept('indexes') || cursor.accept('index') || cursor.accept('keys')) {
    let table: string | null = null;
    if (cursor.accept('from') || cursor.accept('in')) table = cursor.expectName('table');
    cursor.expectEnd();
    return { ...common, kind: 'show_indexes', table };
  }
  throw cursor.errorHere('TABLES or INDEXES');
}

function analyzeDrop(cursor: TokenCursor, common: Common): AnalyzedStatement {
  cursor.next();
  if (cursor.accept('table')) {
    const ifExists = acceptIfExists(cursor);
    return { ...common, kind: 'drop_table', table: checkedName(cursor, 'table'), ifExists };
  }
  if (cursor.accept('index')) {
    const ifExists = acceptIfExists(cursor);
    const index = cursor.expectName('index');
    let table: string | null = null;
    if (cursor.accept('on')) table = cursor.expectName('table');
    cursor.expectEnd();
    return { ...common, kind: 'drop_index', index, table, ifExists };
  }
  throw cursor.errorHere('TABLE or INDEX');
}

function acceptIfExists(cursor: TokenCursor): boolean {
  if (!cursor.accept('if')) return false;
  cursor.expectKeyword('exists');
  return true;
}

function analyzeCreateIndex(cursor: TokenCursor, common: Common): AnalyzedStatement {
  cursor.next();
  const unique = cursor.accept('unique');
  cursor.expectKeyword('index');
  let ifNotExists = false;
  if (cursor.accept('if')) {
    cursor.expectKeyword('not');
    cursor.expectKeyword('exists');
    ifNotExists = true;
  }
  const index = cursor.expectName('index');
  const indexError = checkName('index', index);
  if (indexError) throw indexError;
  cursor.expectKeyword('on');
  const table = cursor.expectName('table');
  cursor.expectOperator('(');
  const columns: string[] = [];
  do {
    columns.push(cursor.expectName('column'));
    if (!cursor.accept('asc')) cursor.accept('desc');
  } while (cursor.acceptOperator(','));
  cursor.expectOperator(')');
  cursor.expectEnd();
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(nameKey(column))) throw errors.invalidDefinition(table, `index \`${index}\` names column \`${column}\` twice`);
    seen.add(nameKey(column));
  }
  return { ...common, kind: 'create_index', index, table, columns, unique, ifNotExists };
}

/** Runs node-sql-parser; its errors become SYNTAX_ERROR with the position in the user's text. */
function parse(source: string, rewritten: RewrittenStatement, tokens: readonly Token[]): { ast: Record<string, unknown>; tableList: string[] } {
  try {
    const result = parser.parse(rewritten.parserText, PARSER_OPTIONS);
    const ast = (Array.isArray(result.ast) ? result.ast[0] : result.ast) as unknown as Record<string, unknown>;
    return { ast, tableList: result.tableList };
  } catch (thrown) {
    // The parser recurses per nesting level; very deep nesting exhausts the stack.
    if (thrown instanceof RangeError) throw errors.limitExceeded('nesting depth of the statement', PARSER_NESTING_HINT);
    const location = (thrown as { location?: { start?: { offset?: number } } }).location?.start?.offset;
    if (location === undefined) throw errors.sql(`cannot parse statement: ${(thrown as Error).message}`);
    // The parser may stop inside a word (it read "blob" of "blobby" as a type): point at the word.
    const raw = Math.min(rewritten.originalOffset(location), source.length);
    const offset = tokens.find((token) => token.start <= raw && raw < token.end)?.start ?? raw;
    const { line, column } = lineAndColumn(source, offset);
    const near = (source.slice(offset, offset + 30).split('\n')[0] ?? '').trimEnd();
    throw errors.syntax(near, offset + 1, line, column);
  }
}

/** Tables a statement reads or writes, from the parser's table list, without CTE names. */
function tablesOf(ast: Record<string, unknown>, tableList: string[]): string[] {
  const cteNames = new Set(((ast.with as Array<{ name: { value: string } }> | null) ?? []).map((cte) => nameKey(String(cte.name.value))));
  const tables = new Map<string, string>();
  for (const entry of tableList) {
    const name = entry.split('::')[2];
    if (name === undefined || name === 'null' || cteNames.has(nameKey(name))) continue;
    if (!tables.has(nameKey(name))) tables.set(nameKey(name), name);
  }
  return [...tables.values()];
}

function analyzeCreateTable(source: string, rewritten: RewrittenStatement, significant: Token[], common: Common): AnalyzedStatement {
  const { ast } = parse(source, rewritten, significant);
  if (ast.type !== 'create' || ast.keyword !== 'table') throw errors.unsupported(`CREATE ${String(ast.keyword).toUpperCase()}`);
  const definition = buildTableDefinition(ast as unknown as CreateTableAst, rewritten.strings);
  if (definition instanceof MiniSqlError) throw definition;
  return { ...common, kind: 'create_table', table: definition.name, definition, ifNotExists: Boolean(ast.if_not_exists) };
}

function analyzeQuery(source: string, rewritten: RewrittenStatement, significant: Token[], common: Common): AnalyzedStatement {
  const { ast, tableList } = parse(source, rewritten, significant);
  if (ast.type !== 'select') throw errors.unsupported(`${String(ast.type).toUpperCase()} statement`);
  return { ...common, kind: 'select', tables: tablesOf(ast, tableList) };
}

function analyzeWrite(source: string, rewritten: RewrittenStatement, significant: Token[], common: Common): AnalyzedStatement {
  // An insert of literal rows is read from the tokens alone: node-sql-parser would only
  // confirm what they say, at a cost that grows with the rows (most of a bulk load's
  // CPU, and garbage of many times the statement's size).
  const literal = literalInsert(new TokenCursor(source, significant));
  if (literal !== null) {
    const { table, ...rows } = literal;
    return { ...common, kind: 'insert', table, tables: [table], literal: rows };
  }
  const { ast, tableList } = parse(source, rewritten, significant);
  const tables = tablesOf(ast, tableList);
  const target = (ast.table as Array<{ table: string }> | null)?.[0]?.table ?? (ast.from as Array<{ table: string }> | null)?.[0]?.table;
  if (target === undefined) throw errors.sql('cannot tell which table the statement writes');
  const cursor = new TokenCursor(source, significant);
  switch (ast.type) {
    case 'insert':
      return { ...common, kind: 'insert', table: target, tables, literal: null };
    case 'replace':
      throw errors.unsupported('REPLACE statement');
    case 'update':
      return { ...common, kind: 'update', table: target, tables, assignments: literalAssignments(cursor) };
    case 'delete':
      return { ...common, kind: 'delete', table: target, tables };
    default:
      throw errors.unsupported(`${String(ast.type).toUpperCase()} statement`);
  }
}

/**
 * Reads `insert into T [(c, ...)] values (v, ...), ...` when every value is a literal
 * or placeholder; returns null for any other form (insert ... select, expressions).
 */
function literalInsert(cursor: TokenCursor): (LiteralInsert & { table: string }) | null {
  const counter = { next: 0 };
  if (!cursor.accept('insert') || !cursor.accept('into')) return null;
  const table = literalInsertTarget(cursor);
  if (table === undefined) return null;
  let columns: string[] | null = null;
  if (cursor.acceptOperator('(')) {
    columns = [];
    do columns.push(cursor.expectName('column'));
    while (cursor.acceptOperator(','));
    if (!cursor.acceptOperator(')')) return null;
  }
  if (!cursor.accept('values')) return null;
  const rows: LiteralOrParameter[][] = [];
  do {
    if (!cursor.acceptOperator('(')) return null;
    const row: LiteralOrParameter[] = [];
    do {
      const value = cursor.acceptLiteral(counter);
      if (value === undefined) return null;
      row.push(value);
    } while (cursor.acceptOperator(','));
    if (!cursor.acceptOperator(')')) return null;
    rows.push(row);
  } while (cursor.acceptOperator(','));
  return cursor.done ? { table, columns, rows } : null;
}

/** The table name after `insert into`: a backtick-quoted name, or a bare word that is not a keyword of the statement. */
function literalInsertTarget(cursor: TokenCursor): string | undefined {
  const token = cursor.peek();
  if (token?.kind === 'quoted_identifier') return cursor.expectName('table');
  if (token?.kind !== 'identifier' || INSERT_KEYWORDS.has(token.text.toLowerCase())) return undefined;
  return cursor.expectName('table');
}

/** Words that cannot be a bare table name in an insert (the parser decides those cases). */
const INSERT_KEYWORDS = new Set(['values', 'value', 'select', 'set', 'with', 'default', 'table', 'into', 'insert']);

/**
 * The `set column = literal` assignments of an update, so their values can be checked
 * against the column types with a precise message. Assignments of expressions are left
 * to the table's CHECK constraints.
 */
function literalAssignments(cursor: TokenCursor): LiteralAssignment[] {
  const assignments: LiteralAssignment[] = [];
  // Placeholders before SET (none in an update's table name) do not shift numbering.
  const counter = { next: 0 };
  while (!cursor.done && !cursor.accept('set')) cursor.next();
  while (!cursor.done) {
    const column = cursor.peek();
    if (column === undefined || (column.kind !== 'identifier' && column.kind !== 'quoted_identifier')) break;
    cursor.next();
    if (!cursor.acceptOperator('=')) break;
    const value = cursor.acceptLiteral(counter);
    const ended = cursor.done || cursor.acceptOperator(',') || isKeyword(cursor.peek(), 'where');
    if (value !== undefined && ended) {
      assignments.push({ column: column.kind === 'identifier' ? column.text : column.value, value });
      if (isKeyword(cursor.peek(), 'where')) break;
      continue;
    }
    break; // An expression: numbering of later placeholders is unknown, stop here.
  }
  return assignments;
}
