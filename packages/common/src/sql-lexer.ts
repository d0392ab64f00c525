/**
 * The SQL tokenizer shared by the client (to split scripts into statements) and the
 * region (to analyse and rewrite them). It is the single authority on where a string,
 * a comment or a statement starts and ends, so client and server never disagree.
 *
 * Strings may be in single or double quotes (MiniSQL accepts both); a quote inside is
 * written twice. Identifiers may be quoted with backticks. Backslashes are ordinary
 * characters, as in SQLite.
 */
import { errors } from './errors.js';

export type TokenKind =
  | 'whitespace'
  | 'comment'
  | 'string'
  | 'quoted_identifier'
  | 'identifier'
  | 'number'
  | 'parameter'
  | 'operator'
  | 'semicolon'
  /** Only with `openTail`: an unterminated string, name or comment running to the end. */
  | 'open';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token. */
  text: string;
  /** For strings and quoted identifiers: the content with quotes removed and unescaped. */
  value: string;
  /** 0-based offsets into the source, end exclusive. */
  start: number;
  end: number;
}

const TWO_CHAR_OPERATORS = new Set(['<>', '<=', '>=', '!=', '==', '||', '<<', '>>']);
const ONE_CHAR_OPERATORS = new Set([...'(),.+-*/%<>=&|~!:@']);

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 128;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || (code >= 48 && code <= 57) || code === 36;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** 1-based line and column of a 0-based offset. */
export function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i += 1) {
    if (source.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where the number starting at `start` ends (exclusive): digits, an optional fraction and
 * an optional exponent. The caller has seen a digit, or a dot before a digit, at `start`.
 */
export function numberEnd(source: string, start: number): number {
  let end = start;
  while (end < source.length && isDigit(source.charCodeAt(end))) end += 1;
  if (source[end] === '.') {
    end += 1;
    while (end < source.length && isDigit(source.charCodeAt(end))) end += 1;
  }
  if (source[end] === 'e' || source[end] === 'E') {
    let exponent = end + 1;
    if (source[exponent] === '+' || source[exponent] === '-') exponent += 1;
    if (exponent < source.length && isDigit(source.charCodeAt(exponent))) {
      end = exponent;
      while (end < source.length && isDigit(source.charCodeAt(end))) end += 1;
    }
  }
  return end;
}

/** True when a number starts at `i`: a digit, or a dot before a digit. */
export function startsNumber(source: string, i: number): boolean {
  const code = source.charCodeAt(i);
  return isDigit(code) || (code === 46 && isDigit(source.charCodeAt(i + 1)));
}

/** Thrown inside tokenize to stop at an open tail; never escapes it. */
class OpenTail extends Error {
  constructor(readonly start: number) {
    super('an open string, quoted name or comment at the end');
  }
}

function failUnterminated(source: string, start: number, what: string): never {
  const { line, column } = lineAndColumn(source, start);
  throw errors.syntax(source.slice(start, start + 20), start + 1, line, column, `the end of the ${what}`);
}

/** Reads a quoted run starting at `start` (the opening quote); a doubled quote is an escaped quote. */
export function readQuoted(
  source: string,
  start: number,
  quote: string,
  what: string,
  unterminated: (start: number, what: string) => never,
): { end: number; value: string } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const next = source.indexOf(quote, i);
    if (next < 0) unterminated(start, what);
    value += source.slice(i, next);
    if (source[next + 1] === quote) {
      value += quote;
      i = next + 2;
      continue;
    }
    return { end: next + 1, value };
  }
}

export interface TokenizeOptions {
  /**
   * Return an unterminated string, quoted name or comment at the end as one 'open' token
   * instead of throwing: the REPL then knows the statement continues on the next line.
   */
  openTail?: boolean;
  /**
   * Read MySQL's `\G` (end the statement, show its rows vertically) as a terminator: a
   * 'semicolon' token whose text is `\G`. For the client's scripts and prompt only; the
   * server's SQL has no `\G`.
   */
  verticalTerminator?: boolean;
}

/** Splits `source` into tokens. An unterminated string or comment is a SYNTAX_ERROR. */
export function tokenize(source: string, options: TokenizeOptions = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const unterminated = (start: number, what: string): never => {
    if (options.openTail) throw new OpenTail(start);
    return failUnterminated(source, start, what);
  };
  try {
    scan();
  } catch (error) {
    if (!(error instanceof OpenTail)) throw error;
    tokens.push({ kind: 'open', text: source.slice(error.start), value: '', start: error.start, end: source.length });
  }
  return tokens;

  function push(kind: TokenKind, end: number, value = ''): void {
    tokens.push({ kind, text: source.slice(i, end), value, start: i, end });
    i = end;
  }

  function scan(): void {
    while (i < source.length) {
      const code = source.charCodeAt(i);
      const ch = source[i] as string;
      const next = source[i + 1];
      if (code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11) {
        let end = i + 1;
        while (end < source.length && /\s/.test(source[end] as string)) end += 1;
        push('whitespace', end);
      } else if (ch === '-' && next === '-') {
        const newline = source.indexOf('\n', i);
        push('comment', newline < 0 ? source.length : newline);
      } else if (ch === '/' && next === '*') {
        const close = source.indexOf('*/', i + 2);
        if (close < 0) unterminated(i, 'comment');
        push('comment', close + 2);
      } else if (ch === "'" || ch === '"') {
        const { end, value } = readQuoted(source, i, ch, 'string', unterminated);
        push('string', end, value);
      } else if (ch === '`') {
        const { end, value } = readQuoted(source, i, '`', 'quoted name', unterminated);
        push('quoted_identifier', end, value);
      } else if (startsNumber(source, i)) {
        push('number', numberEnd(source, i));
      } else if (isIdentifierStart(code)) {
        let end = i + 1;
        while (end < source.length && isIdentifierPart(source.charCodeAt(end))) end += 1;
        push('identifier', end);
      } else if (ch === '?') {
        push('parameter', i + 1);
      } else if (ch === ';' || (ch === '\\' && next === 'G' && options.verticalTerminator)) {
        push('semicolon', ch === ';' ? i + 1 : i + 2);
      } else if (next !== undefined && TWO_CHAR_OPERATORS.has(ch + next)) {
        push('operator', i + 2);
      } else if (ONE_CHAR_OPERATORS.has(ch)) {
        push('operator', i + 1);
      } else {
        const { line, column } = lineAndColumn(source, i);
        throw errors.syntax(ch, i + 1, line, column, 'a keyword, name, value or operator');
      }
    }
  }
}

/** True for tokens that carry meaning (not whitespace or comments). */
export function isSignificant(token: Token): boolean {
  return token.kind !== 'whitespace' && token.kind !== 'comment';
}

/** True when `token` is the keyword `word` (case-insensitive). */
export function isKeyword(token: Token | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'identifier' && token.text.toLowerCase() === word;
}
