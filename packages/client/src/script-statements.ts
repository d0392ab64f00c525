/**
 * The statements of a whole script (a file, standard input, or `-e`). Splitting is
 * common's `splitStatements`; this only adds what a script needs on top of it.
 */
import { splitStatements, type ScriptStatement } from '@minisql/common';

/**
 * Every statement of `source`, with the line of its first word. A last statement without
 * its `;` runs too (as `mysql -e "select 1"` does): the end of the script ends it. An
 * open string there reaches the server as it is, and the server's syntax error says so.
 * Throws SYNTAX_ERROR when the text holds a character no SQL token starts with.
 */
export function scriptStatements(source: string): ScriptStatement[] {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source; // a byte order mark is not SQL
  const { statements, rest, restLine } = splitStatements(text);
  return rest.trim() === '' ? statements : [...statements, { text: rest.trim(), line: restLine }];
}
