/**
 * The database's own check of its copies, run after every test once the faults are healed
 * and the final operations done (minisql: `verify`, every member of every group compared
 * table by table at one log position). Its outcome joins the history's verdict: copies
 * that differ make the run invalid whatever the history says; a check that could not run
 * leaves a valid history's verdict unknown.
 */
import { formatEdn, isEdnMap, keyword, parseEdn } from '@minisql/checker';
import type { HistoryVerdict } from '../history/history-check.js';

export interface DatabaseVerification {
  /** true: every copy equal; false: some differ; 'unknown': the check could not run. */
  equal: boolean | 'unknown';
  /** One line: what was compared and what differs (or why the check could not run). */
  summary: string;
}

/** The history's verdict with the database's verification added (`:verify` in the results). */
export function withVerification(verdict: HistoryVerdict, verification: DatabaseVerification | undefined): HistoryVerdict {
  if (verification === undefined) return verdict;
  const valid = verification.equal === false ? false : verification.equal === 'unknown' && verdict.valid === true ? 'unknown' : verdict.valid;
  const parsed = parseEdn(verdict.resultsEdn);
  const results = isEdnMap(parsed) ? parsed : new Map();
  results.set(keyword('verify'), { 'equal?': verification.equal === 'unknown' ? keyword('unknown') : verification.equal, summary: verification.summary });
  results.set(keyword('valid?'), valid === 'unknown' ? keyword('unknown') : valid);
  return { ...verdict, valid, summary: `${verdict.summary}; verify: ${verification.summary}`, resultsEdn: formatEdn(results) };
}
