/**
 * Splits a script into statements at top-level semicolons, using the lexer, so a ";"
 * inside a string or comment never ends a statement.
 */
import { MiniSqlError, ErrorCode } from './errors.js';
import { isSignificant, lineAndColumn, tokenize } from './sql-lexer.js';

export interface ScriptStatement {
  /** The statement text without its terminating ";" and without surrounding blanks. */
  text: string;
  /** 1-based line of the statement's first character in the script. */
  line: number;
}

export interface SplitScript {
  statements: ScriptStatement[];
  /** Text after the last ";" that holds something other than blanks and comments. */
  rest: string;
}

/**
 * Splits complete statements off the front of `source`. Whatever follows the last
 * semicolon is returned as `rest`: the REPL keeps reading lines until it is complete.
 * An unterminated string or block comment makes the whole source `rest`.
 */
export function splitStatements(source: string): SplitScript {
  let tokens;
  try {
    tokens = tokenize(source);
  } catch (error) {
    if (error instanceof MiniSqlError && error.code === ErrorCode.SYNTAX_ERROR && /expected the end of/.test(error.message)) {
      // An open string or comment: split what precedes it and keep the rest for more input.
      return splitOpenTail(source, error.position - 1);
    }
    throw error;
  }
  const statements: ScriptStatement[] = [];
  let statementStart = 0;
  let hasContent = false;
  for (const token of tokens) {
    if (token.kind === 'semicolon') {
      if (hasContent) statements.push(makeStatement(source, statementStart, token.start));
      statementStart = token.end;
      hasContent = false;
    } else if (isSignificant(token)) {
      hasContent = true;
    }
  }
  return { statements, rest: hasContent ? source.slice(statementStart).trim() : '' };
}

function splitOpenTail(source: string, openAt: number): SplitScript {
  const head = splitStatements(source.slice(0, openAt));
  const consumed = head.rest === '' ? lastSemicolonEnd(source.slice(0, openAt)) : source.slice(0, openAt).lastIndexOf(head.rest);
  return { statements: head.statements, rest: source.slice(Math.max(0, consumed)).trim() };
}

function lastSemicolonEnd(source: string): number {
  const tokens = tokenize(source);
  let end = 0;
  for (const token of tokens) if (token.kind === 'semicolon') end = token.end;
  return end;
}

function makeStatement(source: string, start: number, end: number): ScriptStatement {
  const raw = source.slice(start, end);
  const leading = raw.length - raw.trimStart().length;
  return { text: raw.trim(), line: lineAndColumn(source, start + leading).line };
}
