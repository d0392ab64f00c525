/**
 * Copies and table moves under way, as the master's status page and the REPL's `status;`
 * show them: one row each, what and where, then its progress. Pure.
 */
import type { ClusterStatusResponse, ClusterStatusResponse__Output, CopyUnderWay } from './proto-types.js';

/** Copies and moves under way, one row each: what, where, progress. */
export function underWayRows(status: ClusterStatusResponse | ClusterStatusResponse__Output, nowMs = Date.now()): string[][] {
  const copies = (status.regions ?? [])
    .filter((r) => r.copy)
    .map((r) => {
      const copy = r.copy as CopyUnderWay;
      const bytes = Number(copy.bytes ?? 0);
      const expected = Number(copy.expected_bytes ?? 0);
      const percent = expected > 0 ? Math.min(100, Math.floor((bytes / expected) * 100)) : 0;
      return [
        'copy',
        `${r.region_id} copies group ${r.group_id}'s tables (now ${copy.table ?? ''})`,
        `${percent}%: ${megabytes(bytes)} of ${megabytes(expected)} at ${megabytes(Number(copy.bytes_per_second ?? 0))}/s`,
      ];
    });
  const moves = (status.moves ?? []).map((m) => [
    'move',
    `table ${m.table ?? ''} from ${m.from_group ?? ''} to ${m.to_group ?? ''}`,
    `${m.phase ?? ''}: ${megabytes(Number(m.bytes ?? 0))} copied, ${Number(m.entries ?? 0)} entries since, for ${((nowMs - Number(m.started_at_ms ?? nowMs)) / 1000).toFixed(1)} s`,
  ]);
  return [...copies, ...moves];
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
