/**
 * Rewrites a statement's tokens into the two texts minisql needs:
 * - `sqliteText`, executed by SQLite: strings in single quotes (MiniSQL also allows
 *   double quotes, which SQLite would read as names), quoted names in double quotes,
 *   comments dropped;
 * - `parserText`, given to node-sql-parser for classification: every string replaced by
 *   a placeholder '#k' (that parser treats backslashes as escapes, SQLite does not), with
 *   a map from its offsets back to the user's text for error positions.
 */
import type { Token } from './sql-lexer.js';

export interface RewrittenStatement {
  sqliteText: string;
  parserText: string;
  /** The values of the string literals, in order: '#k' in parserText is strings[k]. */
  strings: string[];
  /** Maps an offset into parserText to the offset in the original statement. */
  originalOffset(parserOffset: number): number;
}

const PLACEHOLDER_PATTERN = /^#(\d+)$/;

export function quoteSqliteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function quoteSqliteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function rewriteStatement(tokens: readonly Token[]): RewrittenStatement {
  let sqliteText = '';
  let parserText = '';
  const strings: string[] = [];
  // Pairs (parser offset, original offset) at the start of each token.
  const parserStarts: number[] = [];
  const originalStarts: number[] = [];
  for (const token of tokens) {
    if (token.kind === 'semicolon') continue;
    parserStarts.push(parserText.length);
    originalStarts.push(token.start);
    switch (token.kind) {
      case 'comment':
        sqliteText += ' ';
        parserText += ' ';
        break;
      case 'string':
        sqliteText += quoteSqliteString(token.value);
        parserText += `'#${strings.length}'`;
        strings.push(token.value);
        break;
      case 'quoted_identifier':
        sqliteText += quoteSqliteName(token.value);
        parserText += token.text;
        break;
      default:
        sqliteText += token.text;
        parserText += token.text;
    }
  }
  return {
    sqliteText: sqliteText.trim(),
    parserText,
    strings,
    originalOffset(parserOffset: number): number {
      // The last token starting at or before the offset; offsets inside it map linearly.
      let low = 0;
      let high = parserStarts.length - 1;
      if (high < 0) return 0;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if ((parserStarts[middle] as number) <= parserOffset) low = middle;
        else high = middle - 1;
      }
      return (originalStarts[low] as number) + (parserOffset - (parserStarts[low] as number));
    },
  };
}

/** The string a parser placeholder stands for, or undefined if `text` is not one. */
export function placeholderValue(text: string, strings: readonly string[]): string | undefined {
  const match = PLACEHOLDER_PATTERN.exec(text);
  return match === null ? undefined : strings[Number(match[1])];
}
