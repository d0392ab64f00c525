/**
 * REPL history kept across runs: one entry per line in a plain text file, oldest first.
 * The pure part (parse, flatten, cap) is separate from the two file operations.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';

/** Entries kept; older ones are dropped when the file is loaded. */
export const HISTORY_ENTRIES_MAX = 1000;

/** History may hold data and passwords typed in statements: only the owner may read it. */
const HISTORY_FILE_MODE = 0o600;

/** The entries of a history file, oldest first. */
export function parseHistory(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/**
 * One history line for what the user entered over one or more lines. Readline recalls
 * single lines, so the lines are joined with spaces (inside a string literal that spans
 * lines, the recalled text has a space where the line break was).
 */
export function historyEntry(lines: readonly string[]): string {
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** True for an entry that carries a password (`identified by '...'`): kept neither in memory nor in the file, as MySQL's client does. */
export function holdsPassword(entry: string): boolean {
  return /\bidentified\s+by\b/i.test(entry);
}

/** The newest `max` entries. */
export function capHistory(entries: readonly string[], max: number = HISTORY_ENTRIES_MAX): string[] {
  return entries.slice(Math.max(0, entries.length - max));
}

/**
 * Loads the history file (a missing file is an empty history). A file over the cap is
 * rewritten with the newest entries, so appends during a session never grow it without bound.
 */
export async function loadHistory(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const all = parseHistory(text);
  const kept = capHistory(all);
  if (kept.length < all.length) await writeFile(path, kept.map((entry) => `${entry}\n`).join(''), { mode: HISTORY_FILE_MODE });
  return kept;
}

export async function appendHistory(path: string, entry: string): Promise<void> {
  await appendFile(path, `${entry}\n`, { mode: HISTORY_FILE_MODE });
}
