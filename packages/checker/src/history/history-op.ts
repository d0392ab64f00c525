/**
 * Op maps read from files (EDN or JSON lines) become `Op`s here, every field checked, so
 * that the two formats accept exactly the same histories and reject bad ones with the
 * same HISTORY_MALFORMED message.
 */
import { CheckerError } from '../errors.js';
import { NEMESIS_PROCESS, type Op, type OpType, type OpValue, type Process } from './op.js';

const OP_TYPES: ReadonlySet<string> = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);

/** An op's fields as a reader found them, already turned into plain values. */
export interface OpFields {
  type?: unknown;
  f?: unknown;
  value?: unknown;
  process?: unknown;
  time?: unknown;
  index?: unknown;
  key?: unknown;
  error?: unknown;
  node?: unknown;
}

/**
 * Builds an Op from read fields. `position` is the op's place in the file: it becomes the
 * index when the op has none, and the time when it has no time either (histories such as
 * Porcupine's carry no times, and the checkers only need the order).
 */
export function opFromFields(fields: OpFields, position: number, where: string): Op {
  const malformed = (why: string): CheckerError => new CheckerError('HISTORY_MALFORMED', `${where}: ${why}`);
  if (typeof fields.type !== 'string' || !OP_TYPES.has(fields.type)) {
    throw malformed(`:type must be one of invoke, ok, fail, info (found ${describe(fields.type)})`);
  }
  if (typeof fields.f !== 'string' || fields.f.length === 0) throw malformed(`:f must be a name (found ${describe(fields.f)})`);
  let process: Process;
  if (fields.process === NEMESIS_PROCESS) process = NEMESIS_PROCESS;
  else if (typeof fields.process === 'number' && Number.isInteger(fields.process)) process = fields.process;
  else throw malformed(`:process must be an integer or nemesis (found ${describe(fields.process)})`);
  const index = fields.index === undefined || fields.index === null ? position : fields.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw malformed(`:index must be a natural number (found ${describe(index)})`);
  const time = fields.time === undefined || fields.time === null ? index : fields.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw malformed(`:time must be a number of nanoseconds (found ${describe(time)})`);
  const op: Op = {
    type: fields.type as OpType,
    f: fields.f,
    value: toOpValue(fields.value, malformed),
    process,
    time,
    index,
  };
  if (fields.key !== undefined && fields.key !== null) {
    if (typeof fields.key !== 'string' && typeof fields.key !== 'number') throw malformed(`:key must be a string or a number (found ${describe(fields.key)})`);
    op.key = fields.key;
  }
  if (fields.error !== undefined && fields.error !== null) op.error = typeof fields.error === 'string' ? fields.error : JSON.stringify(fields.error);
  if (fields.node !== undefined && fields.node !== null) {
    if (typeof fields.node !== 'string') throw malformed(`:node must be a string (found ${describe(fields.node)})`);
    op.node = fields.node;
  }
  return op;
}

function toOpValue(value: unknown, malformed: (why: string) => CheckerError, depth = 0): OpValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && depth < 64) return value.map((item) => toOpValue(item, malformed, depth + 1));
  throw malformed(`:value must be nil, a number, a string, a boolean or a vector of those (found ${describe(value)})`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value; // JSON has no text for a function or a symbol
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
