/**
 * Histories as EDN, the way Jepsen writes history.edn: one op map per line,
 * `{:type :invoke, :f :read, :value nil, :process 0, :time 123, :index 0}`, with `:key`,
 * `:error` and `:node` when present. The reader also takes a whole-file vector of op maps
 * and the many-key EDN lines of Porcupine's kv corpus.
 *
 * EDN distinguishes keywords from strings and the Op type does not: keywords in values
 * become their names (`:timed-out` -> "timed-out"), and maps, sets and tagged literals in
 * values become their EDN text, so every history Jepsen writes can be read.
 */
import { CheckerError } from '../errors.js';
import { EDN_END, EdnList, EdnReader, EdnSymbol, EdnTagged, Keyword, formatEdn, formatEdnString, isKeywordName, type EdnMap, type EdnValue } from './edn.js';
import { opFromFields, type OpFields } from './history-op.js';
import { NEMESIS_PROCESS, type Op, type OpValue } from './op.js';

/** Reads a history from EDN text: op maps one after another, or one vector of them. */
export function parseHistoryEdn(text: string): Op[] {
  const reader = new EdnReader(text);
  const first = reader.next();
  if (first === EDN_END) return [];
  const second = reader.next();
  if (Array.isArray(first) && second === EDN_END) return first.map((form, position) => opFromEdn(form, position));
  const ops: Op[] = [opFromEdn(first, 0)];
  for (let form = second; form !== EDN_END; form = reader.next()) ops.push(opFromEdn(form, ops.length));
  return ops;
}

/** Turns one EDN op map into an Op; `position` is its place in the history. */
export function opFromEdn(form: EdnValue, position: number): Op {
  const where = `op ${position}`;
  if (!(form instanceof Map)) throw new CheckerError('HISTORY_MALFORMED', `${where}: expected an op map, found ${formatEdn(form).slice(0, 60)}`);
  const map: EdnMap = form;
  const fields: OpFields = {};
  for (const [key, value] of map) {
    const name = key instanceof Keyword ? key.name : typeof key === 'string' ? key : undefined;
    switch (name) {
      case 'type':
      case 'f':
        fields[name] = nameOf(value);
        break;
      case 'process':
        fields.process = value instanceof Keyword ? value.name : typeof value === 'bigint' ? Number(value) : value;
        break;
      case 'time':
      case 'index':
        fields[name] = typeof value === 'bigint' ? Number(value) : value;
        break;
      case 'value':
        fields.value = ednToOpValue(value);
        break;
      case 'key':
        fields.key = value instanceof Keyword ? value.name : typeof value === 'bigint' ? value.toString() : value;
        break;
      case 'error':
        fields.error = typeof value === 'string' ? value : value === null ? null : (nameOf(value) ?? formatEdn(value));
        break;
      case 'node':
        fields.node = value === null ? null : (nameOf(value) ?? formatEdn(value));
        break;
      default:
        // Jepsen ops carry other keys too (e.g. :debug); the checkers do not need them.
        break;
    }
  }
  return opFromFields(fields, position, where);
}

/** A keyword's, symbol's or string's name; undefined for other values. */
function nameOf(value: EdnValue): string | undefined {
  if (value instanceof Keyword || value instanceof EdnSymbol) return value.name;
  if (typeof value === 'string') return value;
  return undefined;
}

/** EDN values as Op values: keywords by name, sequences as arrays, the rest as EDN text. */
export function ednToOpValue(value: EdnValue): OpValue {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Keyword || value instanceof EdnSymbol) return value.name;
  if (Array.isArray(value)) return value.map(ednToOpValue);
  if (value instanceof EdnList) return value.items.map(ednToOpValue);
  if (value instanceof EdnTagged || value instanceof Map || value instanceof Set) return formatEdn(value);
  return null;
}

/** One op as a line of history.edn (no newline). */
export function formatOpEdn(op: Op): string {
  let line =
    `{:type :${op.type}, :f ${nameToEdn(op.f)}, :value ${formatEdn(op.value)}, ` +
    `:process ${op.process === NEMESIS_PROCESS ? ':nemesis' : String(op.process)}, :time ${op.time}, :index ${op.index}`;
  if (op.key !== undefined) line += `, :key ${typeof op.key === 'number' ? String(op.key) : formatEdnString(op.key)}`;
  if (op.error !== undefined) line += `, :error ${nameToEdn(op.error)}`;
  if (op.node !== undefined) line += `, :node ${formatEdnString(op.node)}`;
  return `${line}}`;
}

/** One op as an EDN map, for nesting in reports; written out it reads as formatOpEdn's line. */
export function opToEdnValue(op: Op): EdnMap {
  const map: EdnMap = new Map<EdnValue, EdnValue>([
    [Keyword.of('type'), Keyword.of(op.type)],
    [Keyword.of('f'), nameToEdnValue(op.f)],
    [Keyword.of('value'), op.value],
    [Keyword.of('process'), op.process === NEMESIS_PROCESS ? Keyword.of(NEMESIS_PROCESS) : op.process],
    [Keyword.of('time'), op.time],
    [Keyword.of('index'), op.index],
  ]);
  if (op.key !== undefined) map.set(Keyword.of('key'), op.key);
  if (op.error !== undefined) map.set(Keyword.of('error'), nameToEdnValue(op.error));
  if (op.node !== undefined) map.set(Keyword.of('node'), op.node);
  return map;
}

/** A whole history as history.edn text: one op per line. */
export function formatHistoryEdn(history: readonly Op[]): string {
  let text = '';
  for (const op of history) text += `${formatOpEdn(op)}\n`;
  return text;
}

/** Names Jepsen writes as keywords (`:read`, `:timed-out`) go back as keywords; other text as strings. */
function isPlainName(name: string): boolean {
  return /^[a-z][a-z0-9?!*_-]*$/i.test(name) && isKeywordName(name);
}

function nameToEdn(name: string): string {
  return isPlainName(name) ? `:${name}` : formatEdnString(name);
}

function nameToEdnValue(name: string): EdnValue {
  return isPlainName(name) ? Keyword.of(name) : name;
}
