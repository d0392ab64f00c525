/**
 * What a region shows of itself over HTTP(S), on its `ports.metrics`: `/metrics`
 * (Prometheus: statements by kind and outcome, their latency, write batch sizes, and,
 * read at each scrape, each table's log position and file
 * size, the role, epoch and in-sync replicas, and the copy of a catching-up replica:
 * in progress, bytes of expected, rate, copies done), `/health` (alive: 200), and
 * `/primary/<table>` (200 when this region serves as the table's primary with a valid
 * lease, 503 otherwise: a load balancer's check).
 */
import { COUNT_BUCKETS, LATENCY_BUCKETS_SECONDS, MetricsRegistry, nameKey, type HttpAnswer } from '@minisql/common';
import type { GroupMembership } from './group-membership.js';
import type { LeaseClock } from './lease-clock.js';
import { CopyProgress } from './copy-progress.js';
import type { TableCatalog } from './table-catalog.js';

export class RegionMetrics {
  private readonly registry = new MetricsRegistry();
  readonly statement = this.registry.counter('minisql_region_statements_total', 'Statements answered, by kind and outcome.');
  readonly latency = this.registry.histogram(
    'minisql_region_statement_seconds',
    'Time from a statement arriving to its answer, by kind.',
    LATENCY_BUCKETS_SECONDS,
  );
  readonly batch = this.registry.histogram('minisql_region_write_batch_writes', 'Writes per group-commit batch on a primary.', COUNT_BUCKETS);

  /** Records one statement: its kind, how long it took and whether it failed. */
  observe(kind: string, seconds: number, ok: boolean): void {
    this.statement({ kind, outcome: ok ? 'ok' : 'error' });
    this.latency(seconds, { kind });
  }

  /** The copy of the group's tables, when this region catches up (CatchUp moves it). */
  readonly copy = new CopyProgress();

  render(catalog: TableCatalog, membership: GroupMembership | undefined): string {
    const tables = catalog.list();
    const copy = this.copy.underWay;
    const role = membership?.current;
    const group = role && 'group' in role ? role.group : undefined;
    return this.registry.render([
      {
        name: 'minisql_region_table_log_position',
        help: "Each table's last log position.",
        values: tables.map((t) => ({ labels: { table: t.name }, value: t.position })),
      },
      {
        name: 'minisql_region_table_file_bytes',
        help: "Each table's SQLite file size, in bytes.",
        values: tables.map((t) => ({ labels: { table: t.name }, value: t.fileBytes })),
      },
      {
        name: 'minisql_region_is_primary',
        help: "Whether this region serves as its group's primary (1) or not (0).",
        values: [{ labels: { group: group?.id ?? '' }, value: role?.kind === 'primary' ? 1 : 0 }],
      },
      {
        name: 'minisql_region_group_epoch',
        help: "The epoch of this region's group.",
        values: group ? [{ labels: { group: group.id }, value: group.epoch }] : [],
      },
      {
        name: 'minisql_region_copy_in_progress',
        help: "Whether this region is copying its group's tables now (a catching-up replica).",
        values: [{ labels: {}, value: copy ? 1 : 0 }],
      },
      {
        name: 'minisql_region_copy_bytes',
        help: 'Bytes fetched of the copy under way (0 when none is).',
        values: [{ labels: { table: copy?.table ?? '' }, value: copy?.bytes ?? 0 }],
      },
      {
        name: 'minisql_region_copy_expected_bytes',
        help: 'Bytes the copy under way will fetch in all (0 when none is).',
        values: [{ labels: {}, value: copy?.expectedBytes ?? 0 }],
      },
      {
        name: 'minisql_region_copy_bytes_per_second',
        help: 'The rate of the copy under way, or of the last one finished.',
        values: [{ labels: {}, value: copy?.rateBytesPerSecond ?? this.copy.lastRateBytesPerSecond }],
      },
      {
        name: 'minisql_region_copies_total',
        help: "Copies of the group's tables finished and joined since start.",
        values: [{ labels: {}, value: this.copy.copiesTotal }],
      },
      {
        name: 'minisql_region_copied_bytes_total',
        help: 'Bytes of the copies finished since start.',
        values: [{ labels: {}, value: this.copy.copiedBytesTotal }],
      },
      {
        name: 'minisql_region_group_in_sync_replicas',
        help: "In-sync replicas of this region's group (primary not counted).",
        values: group ? [{ labels: { group: group.id }, value: group.inSync.length }] : [],
      },
    ]);
  }
}

/** The answers of the region's HTTP endpoint. */
export function regionEndpoint(
  metrics: RegionMetrics,
  catalog: TableCatalog,
  membership: GroupMembership | undefined,
  lease: LeaseClock | undefined,
): (path: string) => Promise<HttpAnswer> {
  return async (path) => {
    if (path === '/metrics') return { status: 200, type: 'text/plain; version=0.0.4', body: metrics.render(catalog, membership) };
    if (path === '/health') return { status: 200, type: 'text/plain', body: `ok: ${membership?.current.kind ?? 'standalone'}\n` };
    const table = /^\/primary\/([^/]+)$/.exec(path)?.[1];
    if (table !== undefined) {
      const name = decodeURIComponent(table);
      const holds = catalog.list().some((t) => nameKey(t.name) === nameKey(name));
      const primary = membership?.current.kind === 'primary' && (lease?.valid() ?? false);
      return holds && primary
        ? { status: 200, type: 'text/plain', body: `primary of ${name}\n` }
        : { status: 503, type: 'text/plain', body: `not the primary of ${name}${holds ? '' : ' (not held here)'}\n` };
    }
    return { status: 404, type: 'text/plain', body: 'not found: try /metrics, /health or /primary/TABLE\n' };
  };
}
