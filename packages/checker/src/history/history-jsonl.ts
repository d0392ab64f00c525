/**
 * Histories as JSON lines: one op object per line with the fields of `Op`
 * (`{"type":"invoke","f":"read","value":null,"process":0,"time":123,"index":0}`), for
 * tools that do not read EDN. Blank lines are skipped.
 */
import { CheckerError } from '../errors.js';
import { opFromFields } from './history-op.js';
import type { Op } from './op.js';

export function parseHistoryJsonl(text: string): Op[] {
  const ops: Op[] = [];
  const lines = text.split('\n');
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = (lines[lineIndex] as string).trim();
    if (line.length === 0) continue;
    const where = `line ${lineIndex + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new CheckerError('HISTORY_MALFORMED', `${where}: not JSON: ${(error as Error).message}`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CheckerError('HISTORY_MALFORMED', `${where}: expected an op object`);
    }
    ops.push(opFromFields(parsed, ops.length, where));
  }
  return ops;
}

/** One op as a JSON line (no newline); fields in Jepsen's order, absent ones left out. */
export function formatOpJson(op: Op): string {
  const ordered: Record<string, unknown> = {
    type: op.type,
    f: op.f,
    value: op.value,
    process: op.process,
    time: op.time,
    index: op.index,
  };
  if (op.key !== undefined) ordered.key = op.key;
  if (op.error !== undefined) ordered.error = op.error;
  if (op.node !== undefined) ordered.node = op.node;
  return JSON.stringify(ordered);
}

export function formatHistoryJsonl(history: readonly Op[]): string {
  let text = '';
  for (const op of history) text += `${formatOpJson(op)}\n`;
  return text;
}
