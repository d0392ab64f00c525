/**
 * How many terminal columns a text takes, so table borders line up under CJK text,
 * combining accents, emoji and joined emoji (a family of four is one glyph, two columns).
 * string-width does the Unicode work (grapheme clusters, East Asian Width, emoji
 * presentation); printable ASCII, the common case, is counted without it.
 */
import stringWidth from 'string-width';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Terminal columns of `text`. */
export function displayWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text, { countAnsiEscapeCodes: true });
}

/** `text` padded with spaces on the right to `width` columns. */
export function padEndToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** `text` padded with spaces on the left to `width` columns. */
export function padStartToWidth(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}
