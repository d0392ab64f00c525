/**
 * Quoting for `sh -c` command lines built from names and paths, so that a space or a
 * quote in a path cannot change what runs on a node.
 */

/** One POSIX shell word: single-quoted, with embedded single quotes escaped. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
