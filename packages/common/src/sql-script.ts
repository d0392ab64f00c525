/**
 * Splits a script into statements at top-level semicolons, using the lexer, so a ";"
 * inside a string or comment never ends a statement.
 */
import { isSignificant, lineAndColumn, tokenize } from './sql-lexer.js';

export interface ScriptStatement {
  /** The statement text without its terminating ";" and without surrounding blanks. */
  text: string;
  /** 1-based line of the statement's first word (not of a comment above it). */
  line: number;
  /** Ended by `\G` instead of ";": its rows are shown vertically, as MySQL's client does. */
  vertical?: boolean;
}

export interface SplitScript {
  statements: ScriptStatement[];
  /**
   * The unfinished statement after the last ";", from its first word to the end of the
   * source, blanks kept (they may be inside an open string); '' when there is none.
   */
  rest: string;
  /** 1-based line where `rest` starts; 0 when rest is empty. */
  restLine: number;
  /** True when `rest` ends inside an open string, quoted name or comment. */
  open: boolean;
}

/**
 * Splits complete statements off the front of `source`. Whatever follows the last
 * semicolon is `rest`: the REPL keeps reading lines until it is complete. Throws a
 * SYNTAX_ERROR only for a character that can start no token.
 */
export function splitStatements(source: string): SplitScript {
  const tokens = tokenize(source, { openTail: true, verticalTerminator: true });
  const statements: ScriptStatement[] = [];
  let statementStart = 0;
  let firstWord = -1;
  for (const token of tokens) {
    if (token.kind === 'semicolon') {
      if (firstWord >= 0) {
        const statement: ScriptStatement = { text: source.slice(statementStart, token.start).trim(), line: lineAndColumn(source, firstWord).line };
        statements.push(token.text === '\\G' ? { ...statement, vertical: true } : statement);
      }
      statementStart = token.end;
      firstWord = -1;
    } else if (isSignificant(token) && firstWord < 0) {
      firstWord = token.start;
    }
  }
  if (firstWord < 0) return { statements, rest: '', restLine: 0, open: false };
  return {
    statements,
    rest: source.slice(firstWord),
    restLine: lineAndColumn(source, firstWord).line,
    open: tokens.at(-1)?.kind === 'open',
  };
}
