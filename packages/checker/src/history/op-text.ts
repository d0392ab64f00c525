/**
 * Ops as short text for people: the timeline's boxes, plot labels, nemesis bands. Not a
 * serialization: strings are shown bare, as Jepsen shows keywords, and nothing here is
 * meant to be parsed back (history-edn and history-jsonl are the formats for that).
 */
import type { OpValue } from './op.js';

/** A value as Jepsen prints it: nil, 3, [1 2], strings bare. */
export function formatOpValue(value: OpValue): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `[${value.map(formatOpValue).join(' ')}]`;
  return String(value);
}
