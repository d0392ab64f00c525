/**
 * How much work a statement's plan may do, from SQLite's query plan (EXPLAIN QUERY PLAN,
 * once per statement shape). Pure.
 *
 * A step of the plan is:
 * - bookkeeping (a constant row, the lines of an OR over indexes, a subquery's header);
 * - a one-row lookup: an equality SEARCH by the primary key, by an index SQLite made for
 *   a unique column (`sqlite_autoindex_`), or `SEARCH t` alone (min/max at an end);
 * - a many-row lookup: an equality SEARCH on any other index (many rows may share the
 *   value);
 * - a scan: anything else (a full SCAN, a range SEARCH `rowid>?`, a CTE, a sort).
 *
 * Selects run on the region's thread only when bounded: no scan, and at most one
 * many-row lookup (one is bounded by the table; two, nested, multiply). The rest run in
 * a query worker, where a deadline can stop them (query-workers.ts).
 * Writes run on the region's thread whatever they are (they are ordered and logged
 * there), so a write may have at most one step that visits many rows: a single pass over
 * its table is bounded by the table's size, nested passes are not.
 */

const BOOKKEEPING = /^(SCAN CONSTANT ROW|MULTI-INDEX OR|INDEX \d+|(?:CORRELATED )?(?:SCALAR|LIST) SUBQUERY \d+)$/;
const UNIQUE_LOOKUP = /USING (?:INTEGER PRIMARY KEY|PRIMARY KEY|(?:COVERING )?INDEX sqlite_autoindex_)/;

type StepKind = 'bookkeeping' | 'one-row' | 'many-rows' | 'scan';

function stepKind(detail: string): StepKind {
  if (BOOKKEEPING.test(detail)) return 'bookkeeping';
  if (!detail.startsWith('SEARCH ') || /[<>]/.test(detail)) return 'scan';
  return !detail.includes(' USING ') || UNIQUE_LOOKUP.test(detail) ? 'one-row' : 'many-rows';
}

/** True when a select with these `detail` lines touches a bounded number of rows. */
export function isBoundedPlan(details: readonly string[]): boolean {
  if (details.length === 0) return false;
  const kinds = details.map(stepKind);
  return !kinds.includes('scan') && kinds.filter((kind) => kind === 'many-rows').length <= 1;
}

/** Steps of a plan that may visit many rows: scans and many-row lookups. */
export function manyRowSteps(details: readonly string[]): number {
  return details.map(stepKind).filter((kind) => kind === 'scan' || kind === 'many-rows').length;
}
