/**
 * The formats of the external Porcupine corpus (../data/porcupine, see its README):
 *
 * - `jepsen/etcd_NNN.log`: Jepsen console logs of the 2014 etcd test, one op per line,
 *   `INFO  jepsen.util - <process> <type> <f> <value>`. A completion whose value is a
 *   keyword (`:fail :read :timed-out`, `:info :cas :timed-out`) carries an error, not a
 *   value: the op keeps its invocation's value (as Knossos's `history/complete` does) and
 *   the keyword becomes `error`. So `:fail :read :timed-out` is a failed read, which the
 *   checker drops: a read that returns nothing constrains nothing. `:info` ops never
 *   complete: they may take effect at any point after their invocation, or never.
 * - `kv/cNN-*.txt`: EDN op maps with `:key`, one per line, read as history.edn is.
 *
 * Neither format has times: an op's time is its index, which is all the checker needs.
 */
import { CheckerError } from '../errors.js';
import { Keyword, parseEdn, type EdnValue } from './edn.js';
import { ednToOpValue, parseHistoryEdn } from './history-edn.js';
import type { Op, OpType } from './op.js';

const OP_LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:([A-Za-z][\w?!*-]*)(?:\s+(.*?))?\s*$/;
/** Lines of the op logger at all; other loggers' lines (jepsen.core, etc.) are not ops. */
const OP_LOGGER_LINE = /^INFO\s+jepsen\.util\s+-\s+\d/;

/** Parses a Jepsen console log into ops, in the order of its lines. */
export function parseJepsenConsoleLog(text: string): Op[] {
  const ops: Op[] = [];
  /** Per process, its pending invocation, so that a completion without a value gets its value. */
  const pending = new Map<number, Op>();
  const lines = text.split('\n');
  for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
    const line = (lines[lineIndex] as string).trim();
    if (!OP_LOGGER_LINE.test(line)) continue;
    const match = OP_LINE.exec(line);
    if (!match) throw new CheckerError('HISTORY_MALFORMED', `line ${lineIndex + 1}: not an op line: ${line.slice(0, 80)}`);
    const process = Number(match[1]);
    const type = match[2] as OpType;
    const f = match[3] as string;
    let raw: EdnValue;
    try {
      raw = match[4] === undefined || match[4] === '' ? null : parseEdn(match[4]);
    } catch (error) {
      throw new CheckerError('HISTORY_MALFORMED', `line ${lineIndex + 1}: value is not EDN: ${match[4] ?? ''}`, { cause: error });
    }
    const index = ops.length;
    const op: Op = { type, f, value: null, process, time: index, index };
    if (type !== 'invoke' && raw instanceof Keyword) {
      // A keyword in place of a completion's value is the reason it has none (:timed-out).
      op.error = raw.name;
      op.value = pending.get(process)?.value ?? null;
    } else {
      op.value = ednToOpValue(raw);
    }
    if (type === 'invoke') pending.set(process, op);
    else pending.delete(process);
    ops.push(op);
  }
  return ops;
}

/** Parses a kv corpus file: EDN op maps, each with a :key. */
export function parseKvLog(text: string): Op[] {
  const ops = parseHistoryEdn(text);
  for (const op of ops) {
    if (op.key === undefined) throw new CheckerError('HISTORY_MALFORMED', `op ${op.index}: a kv op needs a :key`);
  }
  return ops;
}
