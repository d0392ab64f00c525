/**
 * Jepsen's set checker (jepsen.checker/set): processes add distinct elements, and at the
 * end one read returns the whole set. Compared with the adds:
 *
 * - ok: read, and an add of it was attempted;
 * - lost: an add was acknowledged (ok) but the read lacks it;
 * - unexpected: read, but never attempted;
 * - recovered: read, attempted, but the add was not acknowledged (it failed or crashed,
 *   and took effect anyway, which an info allows).
 *
 * Valid when nothing is lost and nothing unexpected; unknown when the set was never read.
 * The final read is the last ok read in the history.
 */
import type { Op, OpValue } from '../history/op.js';

export interface SetCheckResult {
  valid: true | false | 'unknown';
  attemptCount: number;
  acknowledgedCount: number;
  okCount: number;
  lostCount: number;
  recoveredCount: number;
  unexpectedCount: number;
  /** The elements of each kind, as Jepsen's interval text: "#{1..3 7}". */
  ok: string;
  lost: string;
  unexpected: string;
  recovered: string;
  /** Why the result is unknown. */
  reason?: string;
}

export function checkSet(history: readonly Op[], options: { addF?: string; readF?: string } = {}): SetCheckResult {
  const addF = options.addF ?? 'add';
  const readF = options.readF ?? 'read';
  const attempts = new Map<string | number, OpValue>();
  const acknowledged = new Map<string | number, OpValue>();
  let finalRead: OpValue[] | undefined;
  for (const op of history) {
    if (op.f === addF) {
      if (op.type === 'invoke') attempts.set(elementKey(op.value), op.value);
      else if (op.type === 'ok') acknowledged.set(elementKey(op.value), op.value);
    } else if (op.f === readF && op.type === 'ok') {
      finalRead = Array.isArray(op.value) ? op.value : op.value === null ? [] : [op.value];
    }
  }
  if (finalRead === undefined) {
    return { ...emptyCounts(attempts.size, acknowledged.size), valid: 'unknown', reason: 'the set was never read' };
  }
  const read = new Map<string | number, OpValue>(finalRead.map((value) => [elementKey(value), value]));
  const ok: OpValue[] = [];
  const unexpected: OpValue[] = [];
  const recovered: OpValue[] = [];
  const lost: OpValue[] = [];
  for (const [key, value] of read) {
    if (!attempts.has(key)) {
      unexpected.push(value);
      continue;
    }
    ok.push(value);
    if (!acknowledged.has(key)) recovered.push(value);
  }
  for (const [key, value] of acknowledged) if (!read.has(key)) lost.push(value);
  return {
    valid: lost.length === 0 && unexpected.length === 0,
    attemptCount: attempts.size,
    acknowledgedCount: acknowledged.size,
    okCount: ok.length,
    lostCount: lost.length,
    recoveredCount: recovered.length,
    unexpectedCount: unexpected.length,
    ok: intervalSetText(ok),
    lost: intervalSetText(lost),
    unexpected: intervalSetText(unexpected),
    recovered: intervalSetText(recovered),
  };
}

function emptyCounts(attemptCount: number, acknowledgedCount: number): Omit<SetCheckResult, 'valid'> {
  return {
    attemptCount,
    acknowledgedCount,
    okCount: 0,
    lostCount: 0,
    recoveredCount: 0,
    unexpectedCount: 0,
    ok: '#{}',
    lost: '#{}',
    unexpected: '#{}',
    recovered: '#{}',
  };
}

function elementKey(value: OpValue): string | number {
  return typeof value === 'number' ? value : JSON.stringify(value);
}

/** Jepsen's integer-interval-set-str: sorted, runs of consecutive integers as a..b. */
export function intervalSetText(values: readonly OpValue[]): string {
  const integers = values.filter((value): value is number => typeof value === 'number' && Number.isInteger(value)).sort((a, b) => a - b);
  const others = values.filter((value) => !(typeof value === 'number' && Number.isInteger(value))).map((value) => JSON.stringify(value));
  const parts: string[] = [];
  for (let i = 0; i < integers.length;) {
    const start = integers[i] as number;
    let end = start;
    while (i + 1 < integers.length && (integers[i + 1] as number) <= end + 1) end = integers[++i] as number;
    parts.push(start === end ? String(start) : `${start}..${end}`);
    i++;
  }
  return `#{${[...parts, ...others].join(' ')}}`;
}
