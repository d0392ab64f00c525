/**
 * A cursor over the significant tokens of one statement, for the statements minisql
 * reads itself (show, describe, drop, create index, literal inserts and updates).
 */
import { errors, type MiniSqlError } from './errors.js';
import { isKeyword, lineAndColumn, type Token } from './sql-lexer.js';
import type { SqlValue } from './sql-values.js';

/** A value in an insert or update: a literal, or the n-th "?" (0-based). */
export type LiteralOrParameter = { literal: SqlValue } | { parameter: number };

export class TokenCursor {
  private index = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(): Token | undefined {
    const token = this.tokens[this.index];
    if (token !== undefined) this.index += 1;
    return token;
  }

  /** Consumes the keyword if it is next. */
  accept(word: string): boolean {
    if (isKeyword(this.peek(), word)) {
      this.index += 1;
      return true;
    }
    return false;
  }

  acceptOperator(text: string): boolean {
    const token = this.peek();
    if (token !== undefined && token.kind === 'operator' && token.text === text) {
      this.index += 1;
      return true;
    }
    return false;
  }

  expectKeyword(word: string): void {
    if (!this.accept(word)) throw this.errorHere(word.toUpperCase());
  }

  expectOperator(text: string): void {
    if (!this.acceptOperator(text)) throw this.errorHere(`"${text}"`);
  }

  /** A bare or backtick-quoted name. */
  expectName(what: string): string {
    const token = this.peek();
    if (token !== undefined && (token.kind === 'identifier' || token.kind === 'quoted_identifier')) {
      this.index += 1;
      return token.kind === 'identifier' ? token.text : token.value;
    }
    throw this.errorHere(`a ${what} name`);
  }

  expectEnd(): void {
    if (!this.done) throw this.errorHere('the end of the statement');
  }

  /** A syntax error at the next token (or at the end of the statement). */
  errorHere(expected: string): MiniSqlError {
    const token = this.peek();
    const offset = token?.start ?? this.source.length;
    const { line, column } = lineAndColumn(this.source, offset);
    const near = token === undefined ? '' : (this.source.slice(token.start, Math.min(this.source.length, token.start + 30)).split('\n')[0] ?? '');
    return errors.syntax(near, offset + 1, line, column, expected);
  }

  /**
   * Reads one literal value (optionally signed number, string, NULL, TRUE/FALSE) or a
   * placeholder; returns undefined and leaves the cursor unchanged if the next tokens
   * are anything else (an expression).
   */
  acceptLiteral(parameterCounter: { next: number }): LiteralOrParameter | undefined {
    const start = this.index;
    let sign = 1;
    if (this.acceptOperator('-')) sign = -1;
    else this.acceptOperator('+');
    const token = this.next();
    const signed = this.index - start === 2;
    if (token === undefined) {
      this.index = start;
      return undefined;
    }
    if (token.kind === 'number') return { literal: sign * Number(token.text) };
    if (!signed) {
      if (token.kind === 'string') return { literal: token.value };
      if (token.kind === 'parameter') return { parameter: parameterCounter.next++ };
      if (isKeyword(token, 'null')) return { literal: null };
      if (isKeyword(token, 'true')) return { literal: 1 };
      if (isKeyword(token, 'false')) return { literal: 0 };
    }
    this.index = start;
    return undefined;
  }
}
