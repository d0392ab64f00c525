/**
 * A stream of inserts for tests that change a cluster under writes (switchover, table
 * move): `lanes` writers at once, each with its own ids, until stopped or `writesMax`;
 * which ids were acknowledged, which failed with which code, and the longest time between
 * two acknowledgements.
 */
import type { ClusterClient } from '@minisql/client';
import type { MiniSqlError, SqlValue } from '@minisql/common';
import type { TestCluster } from './test-cluster.js';

export interface InsertStream {
  readonly acked: number[];
  readonly failed: Array<{ id: number; code: string }>;
  longestGapMs(): number;
  /** Resolves once `count` inserts in all have been acknowledged (bounded by the test cluster's wait). */
  until(count: number): Promise<unknown>;
  stop(): Promise<void>;
}

export function startInserts(
  test: TestCluster,
  writer: ClusterClient,
  /** The insert, with ? for the values `paramsOf` gives for an id. */
  sql: string,
  paramsOf: (id: number) => SqlValue[],
  options: { lanes?: number; firstId?: number; writesMax?: number } = {},
): InsertStream {
  const lanes = options.lanes ?? 4;
  const firstId = options.firstId ?? 1;
  const writesMax = options.writesMax ?? 100_000;
  const acked: number[] = [];
  const failed: Array<{ id: number; code: string }> = [];
  let stop = false;
  let longestGapMs = 0;
  let lastAck = performance.now();
  const done = Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let id = firstId + lane; id < firstId + writesMax && !stop; id += lanes) {
        try {
          await writer.execute(sql, { params: paramsOf(id) });
          const now = performance.now();
          longestGapMs = Math.max(longestGapMs, now - lastAck);
          lastAck = now;
          acked.push(id);
        } catch (error) {
          failed.push({ id, code: (error as MiniSqlError).code });
        }
      }
    }),
  );
  return {
    acked,
    failed,
    longestGapMs: () => longestGapMs,
    until: (count: number) => test.waitFor(`${count} acknowledged writes`, async () => (acked.length >= count ? true : undefined)),
    stop: async () => {
      stop = true;
      await done;
    },
  };
}
