/**
 * The master's status page: HTML that refreshes itself every two seconds (regions,
 * groups with epochs and in-sync sets, replicas copying, tables, the recent failover
 * timeline) and the same facts as metrics in the Prometheus text format at /metrics.
 */
import type { Server } from 'node:http';
import { startHttpEndpoint, underWayRows, type HttpSecurity, type Logger } from '@minisql/common';
import { clusterStatus } from './route-builder.js';
import type { MasterState } from './master-service.js';

export const STATUS_REFRESH_SECONDS = 2;
const EVENTS_SHOWN = 30;

export interface StatusSources {
  state: MasterState;
  recentEvents(limit: number): Promise<Array<Record<string, unknown>>>;
}

/** A cell's text: values as they print (a Long by its own toString), nothing for none. */
const escape = (text: unknown): string =>
  (text === null || text === undefined ? '' : (text as { toString(): string }).toString()).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

function table(headers: string[], rows: unknown[][]): string {
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`).join('');
  return `<table><tr>${head}</tr>${body || `<tr><td colspan="${headers.length}">none</td></tr>`}</table>`;
}

export async function statusHtml(sources: StatusSources): Promise<string> {
  const { state } = sources;
  const status = clusterStatus(state.view, state.masterId, state.activity());
  const events = state.leading ? await sources.recentEvents(EVENTS_SHOWN) : [];
  const time = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '');
  const failovers = events.filter((e) => e.kind === 'failover');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="${STATUS_REFRESH_SECONDS}">
<title>minisql: ${escape(state.masterId)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.3em .8em;text-align:left}th{background:#f3f3f3}</style>
</head><body>
<h1>minisql</h1>
<p>Master <b>${escape(state.masterId)}</b> ${state.leading ? 'leads' : `is on standby: ${escape(state.standbyReason)}`}. This page refreshes every ${STATUS_REFRESH_SECONDS} s.</p>
<h2>Regions</h2>${table(['region', 'address', 'alive', 'group', 'incarnation'], status.regions?.map((r) => [r.region_id, r.grpc_address, r.alive ? 'yes' : 'NO', r.group_id || '(spare)', r.incarnation]) ?? [])}
<h2>Replica groups</h2>${table(['group', 'epoch', 'primary', 'in sync', 'copying (catching up)', 'tables'], status.groups?.map((g) => [g.group_id, g.epoch, g.primary, (g.in_sync ?? []).join(', '), (g.catching_up ?? []).join(', '), (g.tables ?? []).join(', ')]) ?? [])}
<h2>Under way</h2>${table(['kind', 'what', 'progress'], underWayRows(status))}
<h2>Switchovers and moves</h2>${table(
    ['time', 'event', 'detail'],
    events
      .filter((e) => e.kind === 'switchover' || e.kind === 'table_moved')
      .map((e) =>
        e.kind === 'switchover'
          ? [time(e.atMs), 'switchover', `group ${String(e.group)}: ${String(e.previousPrimary)} -> ${String(e.primary)}, held ${String(e.heldMs)} ms`]
          : [time(e.atMs), 'table moved', `${String(e.table)}: ${String(e.from)} -> ${String(e.to)}, held ${String(e.heldMs)} ms`],
      ),
  )}
<h2>Failovers</h2>${table(
    ['time', 'group', 'new epoch', 'from', 'to'],
    failovers.map((e) => [time(e.atMs), e.group, e.epoch, e.previousPrimary, e.primary]),
  )}
<h2>Recent events</h2>${table(
    ['time', 'event', 'detail'],
    events.map(({ kind, atMs, ...detail }) => [time(atMs), kind, JSON.stringify(detail)]),
  )}
</body></html>`;
}

export async function statusMetrics(sources: StatusSources): Promise<string> {
  const { state } = sources;
  const status = clusterStatus(state.view, state.masterId, state.activity());
  const events = state.leading ? await sources.recentEvents(200) : [];
  const lines = [
    '# HELP minisql_master_leading 1 when this master leads.',
    '# TYPE minisql_master_leading gauge',
    `minisql_master_leading ${state.leading ? 1 : 0}`,
    '# HELP minisql_regions_alive Regions whose lease is alive.',
    '# TYPE minisql_regions_alive gauge',
    `minisql_regions_alive ${status.regions?.filter((r) => r.alive).length ?? 0}`,
    '# HELP minisql_tables Tables in the catalog.',
    '# TYPE minisql_tables gauge',
    `minisql_tables ${status.tables?.length ?? 0}`,
    '# HELP minisql_group_epoch Epoch of each replica group.',
    '# TYPE minisql_group_epoch gauge',
    ...(status.groups ?? []).map((g) => `minisql_group_epoch{group="${g.group_id}"} ${Number(g.epoch)}`),
    '# HELP minisql_group_in_sync_replicas In-sync replicas of each group (primary not counted).',
    '# TYPE minisql_group_in_sync_replicas gauge',
    ...(status.groups ?? []).map((g) => `minisql_group_in_sync_replicas{group="${g.group_id}"} ${g.in_sync?.length ?? 0}`),
    '# HELP minisql_group_catching_up_replicas Replicas copying the tables of each group.',
    '# TYPE minisql_group_catching_up_replicas gauge',
    ...(status.groups ?? []).map((g) => `minisql_group_catching_up_replicas{group="${g.group_id}"} ${g.catching_up?.length ?? 0}`),
    '# HELP minisql_recent_failovers Failovers among the events kept (the last 200).',
    '# TYPE minisql_recent_failovers gauge',
    `minisql_recent_failovers ${events.filter((e) => e.kind === 'failover').length}`,
    '# HELP minisql_copy_bytes Bytes a catching-up replica has copied so far, of its copy under way.',
    '# TYPE minisql_copy_bytes gauge',
    ...(status.regions ?? []).filter((r) => r.copy).map((r) => `minisql_copy_bytes{region="${r.region_id}"} ${Number(r.copy?.bytes ?? 0)}`),
    '# HELP minisql_copy_expected_bytes Bytes the copy under way will take in all.',
    '# TYPE minisql_copy_expected_bytes gauge',
    ...(status.regions ?? []).filter((r) => r.copy).map((r) => `minisql_copy_expected_bytes{region="${r.region_id}"} ${Number(r.copy?.expected_bytes ?? 0)}`),
    '# HELP minisql_moves_under_way Table moves this master is running.',
    '# TYPE minisql_moves_under_way gauge',
    `minisql_moves_under_way ${status.moves?.length ?? 0}`,
  ];
  return `${lines.join('\n')}\n`;
}

export type StatusSecurity = HttpSecurity;

export async function startStatusServer(address: string, sources: StatusSources, logger: Logger, security: StatusSecurity = {}): Promise<Server> {
  const text = (body: string) => ({ status: 200, type: 'text/plain; version=0.0.4', body });
  return startHttpEndpoint(
    address,
    async (path) =>
      path === '/metrics'
        ? text(await statusMetrics(sources))
        : path === '/'
          ? { status: 200, type: 'text/html; charset=utf-8', body: await statusHtml(sources) }
          : // A load balancer's checks: the process is alive; this master leads (the one to send clients to).
            path === '/health'
            ? { status: 200, type: 'text/plain', body: `ok: ${sources.state.leading ? 'leading' : 'standby'}\n` }
            : path === '/leader'
              ? {
                  status: sources.state.leading ? 200 : 503,
                  type: 'text/plain',
                  body: sources.state.leading ? 'leading\n' : `standby: ${sources.state.standbyReason}\n`,
                }
              : { status: 404, type: 'text/plain', body: 'not found: try /, /metrics, /health or /leader\n' },
    security,
    logger,
    'status page',
  );
}
