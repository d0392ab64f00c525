/**
 * The client of a whole cluster: catalog statements (DDL, show, describe) go to the
 * master; data statements go to the primary of the group holding their tables, found
 * through the master and cached. A select over tables on several groups is joined in
 * the client (cross-group-query.ts).
 */
import {
  AnalysisCache,
  CATALOG_KINDS,
  errors,
  MiniSqlError,
  newRequestId,
  type BackupPart__Output,
  type ClusterStatusResponse__Output,
  type Route__Output,
  type Login,
  type SqlParam,
  type AnalyzedStatement,
  type TlsIdentity,
} from '@minisql/common';
import { crossGroupSelect } from './cross-group-query.js';
import { MasterConnection } from './master-connection.js';
import type { ExecuteOptions } from './minisql-client.js';
import { queryResultFromProto, type QueryResult } from '@minisql/wire';
import { RegionPool } from '@minisql/wire';
import type { RegionTransport } from '@minisql/wire';
import { RouteCache } from './route-cache.js';
import type { TableVerification } from '@minisql/wire';

export const CLUSTER_STATEMENT_TIMEOUT_MS_DEFAULT = 30_000;

/** Errors after which a route may be stale: refresh it from the master and try again. */
const STALE_ROUTE_CODES = new Set(['TABLE_NOT_FOUND', 'UNAVAILABLE', 'NOT_PRIMARY', 'STALE_EPOCH', 'TIMEOUT', 'NOT_ENOUGH_REPLICAS']);
/** Errors from a region that knows it no longer serves the table: the route changed. */
const ROUTE_MOVED_CODES = new Set(['NOT_PRIMARY', 'STALE_EPOCH']);
/** Default time to keep retrying a statement through a failover, in milliseconds. */
export const RETRY_DEADLINE_MS_DEFAULT = 10_000;
const RETRY_DELAY_MS_MIN = 25;
/**
 * Longest pause between retries. A failover takes about half a second (the master waits
 * out the old primary's fence, PRIMARY_FENCE_MS): pauses growing to 500 ms left a client
 * asleep for up to 400 ms after the new primary could serve (measured: 807 ms of write
 * unavailability after kill -9 with 500, see bench:failover).
 */
const RETRY_DELAY_MS_MAX = 100;
/** Time the primary has to compare one table's copies (it checksums every row on each member). */
const VERIFY_TIMEOUT_MS = 300_000;
/** Statement texts whose analysis the client keeps. */
const ANALYSES_KEPT = 1_024;

export interface ClusterClientOptions {
  masterAddresses: readonly string[];
  /** The client certificate and the cluster's authority (`client` in the certificates folder); plaintext without one. */
  tls?: TlsIdentity;
  /** The user to act as (TLS only: a password never travels in clear). */
  login?: Login;
  statementTimeoutMs?: number;
  /** How long to wait for a master to lead again after losing one (default 10 s). */
  masterFailoverWaitMs?: number;
  /** How long to keep retrying a statement while its group fails over (default 10 s). */
  retryDeadlineMs?: number;
  /** Told before each retry, with the error that caused it (the REPL says it is retrying). */
  onRetry?: (error: MiniSqlError, attempt: number) => void;
  /** Where selects go unless a statement says otherwise (default 'primary'). */
  consistency?: 'primary' | 'replica';
}

export class ClusterClient {
  private readonly master: MasterConnection;
  private readonly routes = new RouteCache();
  private readonly regions: RegionPool;
  private readonly statementTimeoutMs: number;
  private readonly retryDeadlineMs: number;
  /** Analysed statements by text: applications repeat the same texts. */
  private readonly analyses = new AnalysisCache(ANALYSES_KEPT);

  private constructor(private readonly options: ClusterClientOptions) {
    this.master = new MasterConnection(options.masterAddresses, options.masterFailoverWaitMs, options.tls, options.login);
    this.regions = new RegionPool(options.tls, options.login);
    this.statementTimeoutMs = options.statementTimeoutMs ?? CLUSTER_STATEMENT_TIMEOUT_MS_DEFAULT;
    this.retryDeadlineMs = options.retryDeadlineMs ?? RETRY_DEADLINE_MS_DEFAULT;
  }

  /** Connects and checks that a master answers; throws MASTER_UNREACHABLE naming the addresses. */
  static async connect(options: ClusterClientOptions): Promise<ClusterClient> {
    const client = new ClusterClient(options);
    try {
      await client.master.clusterStatus();
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  get address(): string {
    return `the master at ${this.master.addresses.join(', ')}`;
  }

  execute(sql: string, options: ExecuteOptions = {}): Promise<QueryResult> {
    try {
      return this.executeShaped(sql, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `execute`, throwing at once what fails before the statement is sent. Not an async
   * function: the answer's promise is passed on as it is, where an async function would
   * wrap it in one more (see withRouteRetries).
   */
  private executeShaped(sql: string, options: ExecuteOptions): Promise<QueryResult> {
    // Routed by the analysis of its shape: texts differing only in literals share one.
    const shaped = this.analyses.shaped(sql, options.params ?? []);
    const statement = shaped.analysis;
    // A read changes nothing, so there is no retry to recognise: it needs no request id.
    const requestId = options.requestId ?? (statement.kind === 'select' ? '' : newRequestId());
    if (CATALOG_KINDS.has(statement.kind)) return this.catalogStatement(sql, statement, requestId);
    const tables = 'tables' in statement ? statement.tables : [];
    // The shape travels, not the text: the region runs the shape in any case, and a shape
    // (no digit, no quote left) skips the region's lexer. The text goes when its shape
    // holds an integer a wire int64 read as a JavaScript number would round.
    const sendShape = shaped.sql !== sql && shaped.params.every(isExactOnTheWire);
    // The same request id on every attempt: a write that did reach the group is answered
    // from its log instead of being applied twice.
    return this.withRouteRetries(tables, () =>
      sendShape
        ? this.executeRouted(shaped.sql, statement.kind, tables, shaped.params, requestId, options.consistency ?? this.options.consistency, options.signal)
        : this.executeRouted(sql, statement.kind, tables, options.params ?? [], requestId, options.consistency ?? this.options.consistency, options.signal),
    );
  }

  /** A statement the master runs (tables, indexes, users); a table created or dropped is routed afresh. */
  private async catalogStatement(sql: string, statement: AnalyzedStatement, requestId: string): Promise<QueryResult> {
    const result = await this.master.catalogStatement(sql, requestId);
    if (statement.kind === 'drop_table' || statement.kind === 'create_table') this.routes.forget(statement.table);
    return queryResultFromProto(result, 0, false);
  }

  /**
   * Compares the copies of `table` (of every table when none is named) on the members of
   * its group, each at one log position: the primary pauses its group's writes meanwhile.
   */
  async verify(table?: string): Promise<TableVerification[]> {
    const tables = table !== undefined ? [table] : (await this.master.clusterStatus()).groups.flatMap((group) => group.tables).sort();
    const verifications: TableVerification[] = [];
    for (const name of tables) {
      verifications.push(
        await this.withRouteRetries([name], async () => this.region((await this.routesFor([name]))[0] as Route__Output).verify(name, VERIFY_TIMEOUT_MS)),
      );
    }
    return verifications;
  }

  /**
   * A backup of `table` as SQL from its primary, at one log position (RegionService.Backup).
   * `onPart` gets each part; `fresh` is true on the first part of an attempt, which starts
   * the table over (a failover during the backup makes the next attempt on the new primary).
   */
  async backupTable(table: string, onPart: (part: BackupPart__Output, fresh: boolean) => Promise<void>): Promise<void> {
    await this.withRouteRetries([table], async () => {
      let fresh = true;
      for await (const part of this.region((await this.routesFor([table]))[0] as Route__Output).backup(table)) {
        await onPart(part, fresh);
        fresh = false;
      }
    });
  }

  /**
   * Runs `attempt`, refreshing the routes of `tables` and trying again through a failover.
   * The first attempt is called at once and its promise passed on: a statement that
   * succeeds goes through no retry loop (at one client, each promise a statement's answer
   * passes through on its way back is time the client waits).
   */
  private withRouteRetries<T>(tables: readonly string[], attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryDeadlineMs;
    let first: Promise<T>;
    try {
      first = attempt();
    } catch (error) {
      first = Promise.reject(error);
    }
    return first.catch((error: unknown) => this.retryAfter(error, tables, attempt, deadline));
  }

  /** The first attempt failed with `error`: tries again after the routes are refreshed, until one succeeds or the error is final. */
  private async retryAfter<T>(error: unknown, tables: readonly string[], attempt: () => Promise<T>, deadline: number): Promise<T> {
    for (let count = 1, delayMs = RETRY_DELAY_MS_MIN; ; count += 1, delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS_MAX)) {
      if (!(error instanceof MiniSqlError) || !STALE_ROUTE_CODES.has(error.code)) throw error;
      // A region that stopped a statement at its deadline is fine: the statement is at
      // fault, and run again elsewhere it would only take that member down the same way.
      if (error.code === 'TIMEOUT' && !error.retryable) throw error;
      // A table that does not exist is not retried past one fresh route.
      if (Date.now() + delayMs > deadline || (error.code === 'TABLE_NOT_FOUND' && count > 1)) throw error;
      for (const table of tables) this.routes.forget(table);
      // A connection to a region that went away is not reused: it may be in backoff.
      if (error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT') this.regions.drop(error.object);
      this.options.onRetry?.(error, count);
      // A region that says it does not serve the table (NOT_PRIMARY, STALE_EPOCH) has
      // usually been told already who does: the first fresh route is read at once. The
      // pauses are for a cluster still changing (a failover waits out a lease).
      const pauseMs = count === 1 && ROUTE_MOVED_CODES.has(error.code) ? 0 : delayMs;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      try {
        return await attempt();
      } catch (next) {
        error = next;
      }
    }
  }

  clusterStatus(): Promise<ClusterStatusResponse__Output> {
    return this.master.clusterStatus();
  }

  close(): void {
    this.master.close();
    this.regions.close();
  }

  private executeRouted(
    sql: string,
    kind: string,
    tables: readonly string[],
    params: readonly SqlParam[],
    requestId: string,
    consistency: 'primary' | 'replica' = 'primary',
    signal?: AbortSignal,
  ): Promise<QueryResult> {
    const run = (routes: readonly Route__Output[]): Promise<QueryResult> => this.executeOn(routes, sql, kind, tables, params, requestId, consistency, signal);
    // Known routes (every statement but a table's first) are used in this turn.
    const known = tables.length === 0 ? undefined : this.knownRoutes(tables);
    if (known) return run(known);
    return (tables.length === 0 ? this.anyRoute().then((route) => [route]) : this.routesFor(tables)).then(run);
  }

  private executeOn(
    routes: readonly Route__Output[],
    sql: string,
    kind: string,
    tables: readonly string[],
    params: readonly SqlParam[],
    requestId: string,
    consistency: 'primary' | 'replica',
    signal: AbortSignal | undefined,
  ): Promise<QueryResult> {
    const groups = new Set(routes.map((route) => route.group_id));
    if (groups.size === 1) {
      const route = routes[0] as Route__Output;
      if (consistency === 'replica' && kind === 'select' && route.replicas.length > 0) {
        return this.transport(route.replicas[0]?.grpc_address ?? '', route).run(sql, {
          params,
          consistency,
          timeoutMs: this.statementTimeoutMs,
          ...(signal ? { signal } : {}),
        });
      }
      return this.region(route).run(sql, { params, requestId, epoch: route.epoch, timeoutMs: this.statementTimeoutMs, ...(signal ? { signal } : {}) });
    }
    if (kind !== 'select') {
      const placement = routes.map((route) => `\`${route.table}\` on ${route.group_id}`).join(', ');
      throw errors.unsupported(`a ${kind} that reads tables on several replica groups (${placement})`);
    }
    return crossGroupSelect(sql, tables, params, (table) => {
      const route = routes.find((r) => r.table.toLowerCase() === table.toLowerCase()) as Route__Output;
      return this.region(route).run(`select * from \`${route.table}\``, { timeoutMs: this.statementTimeoutMs, ...(signal ? { signal } : {}) });
    });
  }

  private async routesFor(tables: readonly string[]): Promise<Route__Output[]> {
    const missing = tables.filter((table) => this.routes.get(table) === undefined);
    if (missing.length > 0) {
      for (const route of await this.master.routes(missing)) {
        this.routes.put(route);
        // A replica is where a switchover or failover sends the client next: connected
        // now, the first statement after it waits for no TLS handshake.
        for (const replica of route.replicas) if (replica.grpc_address !== '') this.regions.get(replica.grpc_address).warm();
      }
    }
    return tables.map((table) => {
      const route = this.routes.get(table);
      if (!route) throw errors.tableNotFound(table);
      return route;
    });
  }

  /** The routes of `tables` when every one is known, else undefined. */
  private knownRoutes(tables: readonly string[]): Route__Output[] | undefined {
    const routes: Route__Output[] = [];
    for (const table of tables) {
      const route = this.routes.get(table);
      if (route === undefined) return undefined;
      routes.push(route);
    }
    return routes;
  }

  /** Any group's route, for statements that read no table (select 1 + 1). */
  private async anyRoute(): Promise<Route__Output> {
    const status = await this.master.clusterStatus();
    const group = status.groups.find((g) => status.regions.some((r) => r.region_id === g.primary && r.alive));
    const primary = status.regions.find((r) => r.region_id === group?.primary);
    if (!group || !primary) throw errors.noRoute('(none)', 'no replica group with a live primary');
    return {
      table: '',
      group_id: group.group_id,
      epoch: group.epoch,
      primary: { region_id: primary.region_id, grpc_address: primary.grpc_address },
      replicas: [],
      version: 0,
    };
  }

  private region(route: Route__Output): RegionTransport {
    return this.transport(route.primary?.grpc_address ?? '', route);
  }

  private transport(address: string, route: Route__Output): RegionTransport {
    if (address === '') throw errors.unavailable(route.primary?.region_id ?? route.group_id, `the primary of group ${route.group_id} is not running`);
    return this.regions.get(address);
  }
}

/** A parameter that reaches the region as it is: not an integer past 2^53 (int64 is read as a number there). */
function isExactOnTheWire(param: SqlParam): boolean {
  return typeof param !== 'bigint' || (param <= SAFE_INTEGER_MAX && param >= SAFE_INTEGER_MIN);
}

const SAFE_INTEGER_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_INTEGER_MIN = BigInt(Number.MIN_SAFE_INTEGER);
