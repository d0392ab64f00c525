/**
 * What the cluster configuration and the tester's configuration share about checking a
 * file against a zod schema: how a value is shown in a message, that a key written with
 * no value (YAML null) means its default, and where an issue is, as the docs write it.
 */
import type { z } from 'zod';

/** A value as a message shows it: JSON, or its type where JSON has no text. */
export const shownValue = (value: unknown): string => JSON.stringify(value) ?? typeof value;

/** A mapping without its keys written with no value (YAML null): they mean their default. */
export function withoutNullFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

/** Where an issue is: `hosts[1].ports.region`; an unknown key is named in the path; `top` for the whole file. */
export function issueField(issue: z.core.$ZodIssue, top: string): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
  return field === '' ? top : field;
}
