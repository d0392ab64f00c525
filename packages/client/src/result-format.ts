/**
 * Renders results and errors as text, the way MySQL's client does, so people who know
 * that client can read minisql's output at a glance. Pure: text in, text out.
 */
import { MiniSqlError, type SqlValue } from '@minisql/common';
import { displayWidth, padEndToWidth, padStartToWidth } from './display-width.js';
import type { QueryResult } from '@minisql/wire';

const MS_PER_SECOND = 1000;

/** "1.8 ms" below a second, "1.23 s" from a second on. */
export function formatDuration(elapsedMs: number): string {
  const ms = Number.isFinite(elapsedMs) && elapsedMs > 0 ? elapsedMs : 0;
  // Decide on the rounded value, so 999.96 ms reads "1.00 s" and never "1000.0 ms".
  if (Math.round(ms * 10) / 10 < MS_PER_SECOND) return `${ms.toFixed(1)} ms`;
  return `${(ms / MS_PER_SECOND).toFixed(2)} s`;
}

/** "1 row" / "3 rows": MySQL's wording, singular included. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const STALE_NOTE = '(read from a replica: may be stale)';

/**
 * The text shown for a result, ending with a newline. `elapsedMs` is the time the
 * user waited (the client measures it, round trip included).
 */
export function formatResult(result: QueryResult, elapsedMs: number): string {
  const timing = `(${formatDuration(elapsedMs)})${result.stale ? ` ${STALE_NOTE}` : ''}`;
  // Any result with columns is a row set: select, show tables, show indexes, describe.
  if (result.columns.length > 0) {
    if (result.rows.length === 0) return `Empty set ${timing}\n`;
    const lines = [
      ...formatTable(
        result.columns.map((column) => column.name),
        result.rows,
      ),
      `${countOf(result.rows.length, 'row')} in set ${timing}`,
    ];
    if (result.truncated) {
      lines.push(`Warning: the server cut the result at its limit of ${result.rows.length} rows; add a WHERE or LIMIT to see the rest.`);
    }
    return `${lines.join('\n')}\n`;
  }
  const lines = [`Query OK, ${countOf(result.rowsAffected, 'row')} affected ${timing}`];
  if (result.message !== '') lines.push(result.message);
  return `${lines.join('\n')}\n`;
}

/** A box table: header, separator, rows. Numeric columns are right-aligned, text left. */
export function formatTable(headers: readonly string[], rows: readonly (readonly SqlValue[])[]): string[] {
  const headerCells = headers.map(escapeControls);
  const bodyCells = rows.map((row) => headers.map((_, i) => cellText(row[i] ?? null)));
  const widths = headerCells.map((header, i) => Math.max(displayWidth(header), ...bodyCells.map((cells) => displayWidth(cells[i] as string))));
  const numeric = headers.map((_, i) => isNumericColumn(rows, i));
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (cells: readonly string[], alignRight: readonly boolean[]): string =>
    `| ${cells.map((cell, i) => (alignRight[i] ? padStartToWidth : padEndToWidth)(cell, widths[i] as number)).join(' | ')} |`;
  // Headers stay left-aligned over numbers too, as in MySQL.
  const headerLine = line(
    headerCells,
    headers.map(() => false),
  );
  return [border, headerLine, border, ...bodyCells.map((cells) => line(cells, numeric)), border];
}

/** A column is numeric when it holds at least one number and nothing but numbers and NULLs. */
function isNumericColumn(rows: readonly (readonly SqlValue[])[], index: number): boolean {
  let sawNumber = false;
  for (const row of rows) {
    const value = row[index] ?? null;
    if (value === null) continue;
    if (typeof value !== 'number') return false;
    sawNumber = true;
  }
  return sawNumber;
}

/** How one value appears in a cell. */
export function cellText(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  return escapeControls(value);
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Control characters written raw would break the box (a newline starts a new row on
 * screen, a tab jumps a column), so they are shown escaped.
 */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => CONTROL_ESCAPES[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `ERROR TABLE_NOT_FOUND: table `t` does not exist`: the code and the reason, always. */
export function formatError(thrown: unknown): string {
  const error = MiniSqlError.from(thrown);
  return `ERROR ${error.code}: ${error.message}\n`;
}

/** Where a failed statement was in a script: its first line, and the file when there is one. */
export interface ScriptLocation {
  line: number;
  /** The file as the user named it; absent for standard input. */
  fileName?: string;
}

/** `ERROR at line 12 of big.sql: TABLE_NOT_FOUND: table `t` does not exist`. */
export function formatErrorAt(thrown: unknown, location: ScriptLocation): string {
  const error = MiniSqlError.from(thrown);
  const where = location.fileName === undefined ? `line ${location.line}` : `line ${location.line} of ${location.fileName}`;
  return `ERROR at ${where}: ${error.code}: ${error.message}\n`;
}
