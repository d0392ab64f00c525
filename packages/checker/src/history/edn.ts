/**
 * A small EDN reader and writer: enough for Jepsen's history.edn and results.edn and for
 * Knossos-style reports. Maps, vectors, lists, sets, keywords, symbols, strings with
 * escapes, characters, integers (bigint beyond 2^53), floats, ratios (as floats), nil,
 * booleans, comments, `#_` discards and tagged literals (kept as `EdnTagged`).
 *
 * Keywords are interned, so a map keyed by keywords can be read with `ednGet(map, 'f')`.
 * Characters are read as one-character strings: Jepsen histories do not use them and
 * keeping a separate type would burden every reader of a value.
 */
import { CheckerError } from '../errors.js';

/** Deeper nesting than this is refused rather than risking the stack. */
const NESTING_DEPTH_MAX = 512;

export class Keyword {
  private static readonly interned = new Map<string, Keyword>();
  private constructor(readonly name: string) {}

  /** The one keyword of this name (without the colon). */
  static of(name: string): Keyword {
    let found = Keyword.interned.get(name);
    if (!found) {
      found = new Keyword(name);
      Keyword.interned.set(name, found);
    }
    return found;
  }

  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

/** A list `( ... )`, kept apart from vectors so that writing it back gives a list again. */
export class EdnList {
  constructor(readonly items: EdnValue[]) {}
}

/** A tagged literal such as `#inst "2024-01-01"`, kept as read. */
export class EdnTagged {
  constructor(
    readonly tag: string,
    readonly value: EdnValue,
  ) {}
}

export type EdnMap = Map<EdnValue, EdnValue>;
export type EdnSet = Set<EdnValue>;
export type EdnValue = null | boolean | number | bigint | string | Keyword | EdnSymbol | EdnList | EdnTagged | EdnValue[] | EdnMap | EdnSet;

export function keyword(name: string): Keyword {
  return Keyword.of(name);
}

/** The value under keyword `name` in an EDN map, or undefined. */
export function ednGet(map: EdnMap, name: string): EdnValue | undefined {
  return map.get(Keyword.of(name));
}

export function isEdnMap(value: EdnValue | undefined): value is EdnMap {
  return value instanceof Map;
}

/** Reads exactly one form; anything but whitespace and comments after it is an error. */
export function parseEdn(text: string): EdnValue {
  const reader = new EdnReader(text);
  const form = reader.next();
  if (form === EDN_END) throw reader.error('expected a form, found the end of the text');
  if (reader.next() !== EDN_END) throw reader.error('expected one form, found more');
  return form;
}

/** Reads every top-level form. */
export function parseEdnAll(text: string): EdnValue[] {
  const reader = new EdnReader(text);
  const forms: EdnValue[] = [];
  for (let form = reader.next(); form !== EDN_END; form = reader.next()) forms.push(form);
  return forms;
}

/** Returned by `EdnReader.next` when the text has no more forms. */
export const EDN_END: unique symbol = Symbol('edn-end');

const CHAR_NAMES: Record<string, string> = {
  newline: '\n',
  space: ' ',
  tab: '\t',
  return: '\r',
  backspace: '\b',
  formfeed: '\f',
};

/** Reads forms one at a time from a text. */
export class EdnReader {
  /** Offset of the next character to read. */
  private position = 0;

  constructor(private readonly text: string) {}

  /** The next top-level form, or EDN_END. */
  next(): EdnValue | typeof EDN_END {
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) return EDN_END;
      if (!this.skipDiscard(0)) return this.readForm(0);
    }
  }

  /** An EDN_SYNTAX error naming the line and column of the current position. */
  error(message: string, at: number = this.position): CheckerError {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return new CheckerError('EDN_SYNTAX', `${message} at line ${line}, column ${at - lineStart + 1}`);
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (c === 59 /* ; */) {
        while (this.position < text.length && text.charCodeAt(this.position) !== 10) this.position++;
      } else if (c === 44 /* , */ || c === 32 || (c >= 9 && c <= 13)) {
        this.position++;
      } else {
        return;
      }
    }
  }

  private readForm(depth: number): EdnValue {
    if (depth > NESTING_DEPTH_MAX) throw this.error(`nesting deeper than ${NESTING_DEPTH_MAX}`);
    const text = this.text;
    const c = text[this.position];
    switch (c) {
      case '"':
        return this.readString();
      case '[':
        this.position++;
        return this.readSequence(']', depth);
      case '(':
        this.position++;
        return new EdnList(this.readSequence(')', depth));
      case '{': {
        this.position++;
        return this.readMap(depth);
      }
      case ']':
      case ')':
      case '}':
        throw this.error(`unexpected '${c}'`);
      case '\\':
        return this.readChar();
      case '#':
        return this.readDispatch(depth);
      case ':': {
        const token = this.readToken();
        if (token.length < 2) throw this.error('empty keyword', this.position - token.length);
        return Keyword.of(token.slice(1));
      }
      default: {
        const start = this.position;
        const token = this.readToken();
        if (token.length === 0) throw this.error(`unexpected '${c ?? 'end'}'`, start);
        return this.interpretToken(token, start);
      }
    }
  }

  private readSequence(close: string, depth: number): EdnValue[] {
    const items: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.position >= this.text.length) throw this.error(`missing '${close}'`);
      if (this.text[this.position] === close) {
        this.position++;
        return items;
      }
      if (this.skipDiscard(depth)) continue;
      items.push(this.readForm(depth + 1));
    }
  }

  private readMap(depth: number): EdnMap {
    const items = this.readSequence('}', depth);
    if (items.length % 2 !== 0) throw this.error('a map needs an even number of forms');
    const map: EdnMap = new Map();
    for (let i = 0; i < items.length; i += 2) map.set(items[i] as EdnValue, items[i + 1] as EdnValue);
    return map;
  }

  /** Skips a `#_ form` if one starts here; true when it did. */
  private skipDiscard(depth: number): boolean {
    if (this.text[this.position] !== '#' || this.text[this.position + 1] !== '_') return false;
    this.position += 2;
    this.skipSpace();
    this.readForm(depth + 1);
    return true;
  }

  private readDispatch(depth: number): EdnValue {
    const next = this.text[this.position + 1];
    if (next === '{') {
      this.position += 2;
      return new Set(this.readSequence('}', depth));
    }
    if (next === '_') {
      this.skipDiscard(depth);
      this.skipSpace();
      if (this.position >= this.text.length) throw this.error('nothing after a discarded form');
      return this.readForm(depth);
    }
    if (next === '#') {
      this.position += 2;
      const token = this.readToken();
      if (token === 'Inf') return Infinity;
      if (token === '-Inf') return -Infinity;
      if (token === 'NaN') return NaN;
      throw this.error(`unknown symbolic value ##${token}`);
    }
    this.position++;
    const tag = this.readToken();
    if (tag.length === 0) throw this.error(`unexpected '#${next ?? ''}'`);
    this.skipSpace();
    if (this.position >= this.text.length) throw this.error(`tag #${tag} has no value`);
    return new EdnTagged(tag, this.readForm(depth + 1));
  }

  private readString(): string {
    const text = this.text;
    const start = this.position;
    this.position++;
    let out = '';
    let chunkStart = this.position;
    for (;;) {
      if (this.position >= text.length) throw this.error('unterminated string', start);
      const c = text.charCodeAt(this.position);
      if (c === 34 /* " */) {
        out += text.slice(chunkStart, this.position);
        this.position++;
        return out;
      }
      if (c !== 92 /* \ */) {
        this.position++;
        continue;
      }
      out += text.slice(chunkStart, this.position);
      const escape = text[this.position + 1];
      this.position += 2;
      switch (escape) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 'u': {
          const hex = text.slice(this.position, this.position + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('bad \\u escape', this.position - 2);
          out += String.fromCharCode(parseInt(hex, 16));
          this.position += 4;
          break;
        }
        default:
          throw this.error(`unknown escape \\${escape ?? ''}`, this.position - 2);
      }
      chunkStart = this.position;
    }
  }

  private readChar(): string {
    const start = this.position;
    this.position++;
    // The first character is taken even if it is a delimiter (`\(`, `\ `), then the rest of a name.
    const first = this.text[this.position];
    if (first === undefined) throw this.error('character literal at end of text', start);
    this.position++;
    const rest = this.readToken();
    const name = first + rest;
    if (name.length === 1) return name;
    const named = CHAR_NAMES[name];
    if (named !== undefined) return named;
    if (/^u[0-9a-fA-F]{4}$/.test(name)) return String.fromCharCode(parseInt(name.slice(1), 16));
    throw this.error(`unknown character \\${name}`, start);
  }

  /** Reads up to the next whitespace or delimiter. */
  private readToken(): string {
    const text = this.text;
    const start = this.position;
    while (this.position < text.length) {
      const c = text.charCodeAt(this.position);
      if (
        c === 32 ||
        c === 44 ||
        (c >= 9 && c <= 13) ||
        c === 40 || // (
        c === 41 || // )
        c === 91 || // [
        c === 93 || // ]
        c === 123 || // {
        c === 125 || // }
        c === 34 || // "
        c === 59 // ;
      ) {
        break;
      }
      this.position++;
    }
    return text.slice(start, this.position);
  }

  private interpretToken(token: string, start: number): EdnValue {
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    const c = token.charCodeAt(0);
    const signed = c === 43 || c === 45; // + -
    const digitAt = signed ? 1 : 0;
    const d = token.charCodeAt(digitAt);
    if (d >= 48 && d <= 57) return this.interpretNumber(token, start);
    return new EdnSymbol(token);
  }

  private interpretNumber(token: string, start: number): number | bigint {
    if (/^[+-]?\d+N?$/.test(token)) {
      const digits = token.endsWith('N') ? token.slice(0, -1) : token;
      const value = Number(digits);
      if (Number.isSafeInteger(value)) return value;
      return BigInt(digits.startsWith('+') ? digits.slice(1) : digits);
    }
    if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(token)) {
      return Number(token.endsWith('M') ? token.slice(0, -1) : token);
    }
    const ratio = /^([+-]?\d+)\/(\d+)$/.exec(token);
    if (ratio) return Number(ratio[1]) / Number(ratio[2]);
    const hex = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(token);
    if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt(hex[2] as string, 16);
    throw this.error(`bad number ${token}`, start);
  }
}

/** Keyword names as they can be written back without quoting. */
const KEYWORD_NAME = /^[A-Za-z*+!_?<>=/.-][A-Za-z0-9*+!_?<>=/.:#'-]*$/;

/** True when `name` can be written as a keyword `:name`. */
export function isKeywordName(name: string): boolean {
  return KEYWORD_NAME.test(name);
}

/** Writes a string as an EDN string literal. */
export function formatEdnString(value: string): string {
  let out = '"';
  let chunkStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let escaped: string | undefined;
    if (c === 34) escaped = '\\"';
    else if (c === 92) escaped = '\\\\';
    else if (c === 10) escaped = '\\n';
    else if (c === 9) escaped = '\\t';
    else if (c === 13) escaped = '\\r';
    else if (c < 32) escaped = `\\u${c.toString(16).padStart(4, '0')}`;
    if (escaped !== undefined) {
      out += value.slice(chunkStart, i) + escaped;
      chunkStart = i + 1;
    }
  }
  return out + value.slice(chunkStart) + '"';
}

/**
 * Writes a value as EDN. Beyond EDN values it accepts plain objects (written as maps with
 * keyword keys, entries whose value is undefined left out), undefined (nil) and Dates
 * (`#inst`), so that reports can be built as ordinary objects.
 */
export function formatEdn(value: unknown): string {
  const parts: string[] = [];
  writeEdn(value, parts, 0);
  return parts.join('');
}

function writeEdn(value: unknown, out: string[], depth: number): void {
  if (depth > NESTING_DEPTH_MAX) throw new CheckerError('EDN_SYNTAX', `cannot write nesting deeper than ${NESTING_DEPTH_MAX}`);
  if (value === null || value === undefined) {
    out.push('nil');
  } else if (typeof value === 'string') {
    out.push(formatEdnString(value));
  } else if (typeof value === 'number') {
    if (Number.isNaN(value)) out.push('##NaN');
    else if (value === Infinity) out.push('##Inf');
    else if (value === -Infinity) out.push('##-Inf');
    else out.push(String(value));
  } else if (typeof value === 'boolean' || typeof value === 'bigint') {
    out.push(String(value));
  } else if (value instanceof Keyword) {
    out.push(`:${value.name}`);
  } else if (value instanceof EdnSymbol) {
    out.push(value.name);
  } else if (Array.isArray(value)) {
    writeItems(value, '[', ']', out, depth);
  } else if (value instanceof EdnList) {
    writeItems(value.items, '(', ')', out, depth);
  } else if (value instanceof Set) {
    writeItems([...value], '#{', '}', out, depth);
  } else if (value instanceof Map) {
    writeEntries([...value.entries()], out, depth);
  } else if (value instanceof EdnTagged) {
    out.push(`#${value.tag} `);
    writeEdn(value.value, out, depth + 1);
  } else if (value instanceof Date) {
    out.push(`#inst ${formatEdnString(value.toISOString())}`);
  } else if (typeof value === 'object') {
    const entries: Array<[unknown, unknown]> = [];
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined) continue;
      entries.push([isKeywordName(key) ? Keyword.of(key) : key, entry]);
    }
    writeEntries(entries, out, depth);
  } else {
    // Functions and symbols have no EDN form; their text is the most useful thing to show.
    out.push(formatEdnString(typeof value === 'symbol' ? value.toString() : typeof value === 'function' ? `#function ${value.name}` : typeof value));
  }
}

function writeItems(items: readonly unknown[], open: string, close: string, out: string[], depth: number): void {
  out.push(open);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.push(' ');
    writeEdn(items[i], out, depth + 1);
  }
  out.push(close);
}

function writeEntries(entries: ReadonlyArray<readonly [unknown, unknown]>, out: string[], depth: number): void {
  out.push('{');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as readonly [unknown, unknown];
    if (i > 0) out.push(', ');
    writeEdn(entry[0], out, depth + 1);
    out.push(' ');
    writeEdn(entry[1], out, depth + 1);
  }
  out.push('}');
}
