/**
 * Which selects may run on the region's main thread: those whose work is bounded by the
 * rows they look up, judged from SQLite's query plan (EXPLAIN QUERY PLAN, once per
 * statement shape). Everything else (a scan, a range, a join that scans, a CTE) runs in
 * a query worker process, where a deadline can stop it (query-workers.ts). Pure.
 *
 * Bounded: every step is an equality SEARCH (`USING INTEGER PRIMARY KEY (rowid=?)`,
 * `USING INDEX i (v=?)`, `SEARCH t` for min/max), a constant row, or the bookkeeping
 * lines of an OR over indexes and of scalar subqueries. A range (`rowid>?`) is not
 * bounded: it may cover the whole table.
 */

const BOOKKEEPING = /^(SCAN CONSTANT ROW|MULTI-INDEX OR|INDEX \d+|SCALAR SUBQUERY \d+|CORRELATED SCALAR SUBQUERY \d+)$/;

/** True when a plan with these `detail` lines touches a bounded number of rows. */
export function isBoundedPlan(details: readonly string[]): boolean {
  if (details.length === 0) return false;
  return details.every((detail) => BOOKKEEPING.test(detail) || (detail.startsWith('SEARCH ') && !/[<>]/.test(detail)));
}
