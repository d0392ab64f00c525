/**
 * The shapes results can be printed in besides MySQL's box tables (`--format`):
 * - `vertical`: one `column: value` line per column, rows under a star rule, as MySQL's
 *   `\G` prints them, for wide rows;
 * - `csv` (RFC 4180: quoted when needed, quotes doubled) and `tsv` (tab, newline and
 *   backslash escaped as \t \n \\), a header line then the rows, for scripts; statements
 *   that return no rows print nothing;
 * - `json`: one JSON object per statement and line (JSON Lines): `{"columns": [...],
 *   "rows": [[...]]}` or `{"rowsAffected": N, "message": "..."}`; blobs as base64.
 * Pure: a result in, text out.
 */
import type { SqlValue } from '@minisql/common';
import type { QueryResult } from '@minisql/wire';
import { cellText, countOf, formatDuration } from './result-format.js';
import { displayWidth, padStartToWidth } from './display-width.js';

export const OUTPUT_FORMATS = ['table', 'vertical', 'csv', 'tsv', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const RULE = '*'.repeat(27);

/** MySQL's `\G` layout. */
export function formatVertical(result: QueryResult, elapsedMs: number): string {
  const timing = `(${formatDuration(elapsedMs)})`;
  if (result.columns.length === 0)
    return `Query OK, ${countOf(result.rowsAffected, 'row')} affected ${timing}\n${result.message === '' ? '' : `${result.message}\n`}`;
  if (result.rows.length === 0) return `Empty set ${timing}\n`;
  const names = result.columns.map((column) => column.name);
  const width = Math.max(...names.map(displayWidth));
  const lines: string[] = [];
  result.rows.forEach((row, index) => {
    lines.push(`${RULE} ${index + 1}. row ${RULE}`);
    names.forEach((name, i) => lines.push(`${padStartToWidth(name, width)}: ${cellText(row[i] ?? null)}`));
  });
  lines.push(`${countOf(result.rows.length, 'row')} in set ${timing}`);
  return `${lines.join('\n')}\n`;
}

function csvField(value: SqlValue): string {
  if (value === null) return '';
  const text = Buffer.isBuffer(value) ? value.toString('base64') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function tsvField(value: SqlValue): string {
  if (value === null) return '\\N';
  const text = Buffer.isBuffer(value) ? value.toString('base64') : String(value);
  return text.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
}

/** CSV or TSV: a header line and the rows; nothing for a statement without rows. */
export function formatDelimited(result: QueryResult, format: 'csv' | 'tsv'): string {
  if (result.columns.length === 0) return '';
  const field = format === 'csv' ? csvField : tsvField;
  const separator = format === 'csv' ? ',' : '\t';
  const lines = [result.columns.map((column) => field(column.name)).join(separator), ...result.rows.map((row) => row.map(field).join(separator))];
  return `${lines.join(format === 'csv' ? '\r\n' : '\n')}${format === 'csv' ? '\r\n' : '\n'}`;
}

function jsonValue(value: SqlValue): unknown {
  return Buffer.isBuffer(value) ? { base64: value.toString('base64') } : value;
}

/** One JSON line per statement. */
export function formatJson(result: QueryResult): string {
  if (result.columns.length === 0)
    return `${JSON.stringify({ rowsAffected: result.rowsAffected, ...(result.message === '' ? {} : { message: result.message }) })}\n`;
  return `${JSON.stringify({
    columns: result.columns.map((column) => column.name),
    rows: result.rows.map((row) => row.map(jsonValue)),
    ...(result.truncated ? { truncated: true } : {}),
    ...(result.stale ? { stale: true } : {}),
  })}\n`;
}
