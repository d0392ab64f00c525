/** A running region: its tables, its engine and its gRPC server. */
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { loadProtos, serverCredentials, startHttpEndpoint, type HttpSecurity, type Logger, type UserDirectory } from '@minisql/common';
import { RegionMetrics, regionEndpoint } from './region-metrics.js';
import { FtpLogins } from './ftp-logins.js';
import { QueryConnection } from './query-connection.js';
import { QUERIES_WAITING_MAX, type RegionOptions } from './region-options.js';
import { QueryWorkers } from './query-workers.js';
import { ClusterExecutor } from './cluster-executor.js';
import type { GroupMembership } from './group-membership.js';
import type { LeaseClock } from './lease-clock.js';
import { RegionPort } from './region-port.js';
import { AnswerBudget } from './answer-budget.js';
import { regionServiceHandlers } from './region-service.js';
import { replicationServiceHandlers } from './replication-service.js';
import type { Replicator } from './replicator.js';
import { CatchUp, JoinCoordinator } from './group-join.js';
import { SnapshotFtpServer, type SnapshotFtpOptions } from './snapshot-ftp-server.js';
import { SnapshotStore } from './snapshot-store.js';
import { TableMoves } from './table-move.js';
import { join } from 'node:path';
import { SqlEngine } from './sql-engine.js';
import { TableCatalog } from './table-catalog.js';
import { TableVerifier } from './table-verifier.js';

/** What a region in a cluster has besides its tables. */
export interface ClusterParts {
  membership: GroupMembership;
  lease: LeaseClock;
  replicator: Replicator;
  /** The FTP server of snapshots (its root, logins and TLS are set here: `<dataDir>/snapshots`). */
  ftp: Omit<SnapshotFtpOptions, 'root' | 'logins' | 'tls'>;
  /** Refuse writes while the group has no in-sync replica. */
  strictReplication: boolean;
  /** The cluster's users, to log clients in; undefined with TLS off (nobody is proven then). */
  users: UserDirectory | undefined;
  /** Where /metrics, /health and /primary/TABLE are served, and how (region-metrics.ts). */
  http?: { address: string; security: HttpSecurity };
}

export class RegionServer {
  private readonly catalog: TableCatalog;
  private readonly queries: QueryConnection;
  /** Where selects that may run long go; none when queryWorkers is 0. */
  private readonly workers: QueryWorkers | undefined;
  private readonly engine: SqlEngine;
  private readonly server: grpc.Server;
  private ftpServer: SnapshotFtpServer | undefined;
  private httpServer: Server | undefined;
  /** With TLS on: the port, serving gRPC and the statement protocol (region-port.ts). */
  private port: RegionPort | undefined;
  /** Answers waiting for their clients, in all statement streams: past the budget the stream holding most is cut. */
  private readonly answers: AnswerBudget;
  private readonly metrics = new RegionMetrics();
  /** The port actually bound (differs from the configured one when that was 0). Valid after start(). */
  private boundPort = 0;

  constructor(
    private readonly options: RegionOptions,
    private readonly logger: Logger,
    private readonly cluster?: ClusterParts,
    /** Unique per process start, so the cluster can tell a restarted region from the old one. */
    readonly incarnation: string = randomUUID(),
  ) {
    this.answers = new AnswerBudget(options.answerBytesWaitingMax);
    this.catalog = new TableCatalog(
      options.dataDir,
      {
        statementCacheSize: options.statementCacheSize,
        synchronous: options.synchronous,
        pageCacheKiB: options.pageCacheKiB,
        logEntriesKept: options.logEntriesKept,
      },
      logger.child('catalog'),
    );
    this.queries = new QueryConnection(options.statementCacheSize, options.pageCacheKiB);
    this.workers =
      options.queryWorkers > 0
        ? new QueryWorkers({ workersMax: options.queryWorkers, waitingMax: QUERIES_WAITING_MAX, logger: logger.child('query-workers') })
        : undefined;
    this.engine = new SqlEngine(this.catalog, this.queries, {
      resultRowsMax: options.resultRowsMax,
      resultBytesMax: options.resultBytesMax,
      analysisCacheSize: options.analysisCacheSize,
      replicated: cluster !== undefined,
      queryWorkers: this.workers,
      pageCacheKiB: options.pageCacheKiB,
      queryMemoryBytesMax: options.queryMemoryBytesMax,
    });
    // A region outside every group holds no tables: files left from a group it was dropped
    // from are stale (it missed writes), so they go; it copies afresh when it joins again.
    cluster?.membership.onChange((role) => {
      if (role.kind === 'spare') this.discardTables();
    });
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': options.messageBytesMax,
      'grpc.max_send_message_length': options.messageBytesMax,
    });
  }

  /** Opens the tables and starts serving; resolves with the bound address. */
  async start(): Promise<string> {
    this.catalog.load();
    const { region } = loadProtos();
    const { replication } = loadProtos();
    const executor = this.cluster
      ? new ClusterExecutor(
          this.engine,
          this.cluster.membership,
          this.cluster.lease,
          this.cluster.replicator,
          this.cluster.strictReplication,
          this.options.statementTimeoutMs,
          this.metrics,
        )
      : undefined;
    const verifier =
      this.cluster && executor ? new TableVerifier(this.engine, this.cluster.membership, executor, this.options.tls, this.logger.child('verify')) : undefined;
    const statementHandlers = regionServiceHandlers(
      this.engine,
      executor,
      verifier,
      this.options.regionId,
      this.incarnation,
      this.logger,
      this.options.statementTimeoutMs,
      this.cluster?.users,
      join(this.options.dataDir, 'backups'),
      this.answers,
    );
    this.server.addService(region.minisql.v1.RegionService.service, statementHandlers);
    let joins: JoinCoordinator | undefined;
    let moves: TableMoves | undefined;
    if (this.cluster && executor) {
      const { membership, replicator, ftp } = this.cluster;
      const root = join(this.options.dataDir, 'snapshots');
      const snapshots = new SnapshotStore(this.catalog, root);
      membership.onEachRead((role) => snapshots.keepOnlyFor(role.kind === 'primary' ? role.group.catchingUp : []));
      const logins = new FtpLogins();
      joins = new JoinCoordinator(membership, this.catalog, snapshots, replicator, executor, logins, this.logger.child('join'));
      const catchUp = new CatchUp(
        membership,
        this.catalog,
        this.queries,
        this.options.tls,
        join(this.options.dataDir, 'incoming'),
        this.logger.child('catch-up'),
        this.metrics.copy,
      );
      membership.onChange((role) => catchUp.onRole(role));
      moves = new TableMoves(
        this.engine,
        this.catalog,
        this.queries,
        membership,
        replicator,
        snapshots,
        logins,
        this.options.tls,
        join(this.options.dataDir, 'incoming'),
        this.logger.child('move'),
      );
      const tableMoves = moves;
      membership.onEachRead(() => tableMoves.sweep());
      this.ftpServer = new SnapshotFtpServer({ ...ftp, root, logins, tls: this.options.tls }, this.logger.child('ftp'));
      await this.ftpServer.start();
    }
    this.server.addService(
      replication.minisql.v1.ReplicationService.service,
      replicationServiceHandlers(
        this.engine,
        this.cluster?.membership,
        joins,
        executor,
        this.options.regionId,
        this.incarnation,
        this.logger.child('replication'),
        moves,
        () => this.metrics.copy.underWay,
      ),
    );
    if (this.options.tls) {
      this.port = await RegionPort.listen(this.server, this.options.listenAddress, this.options.tls, statementHandlers, {
        loginWaitMs: this.options.loginWaitMs,
        frameBytesMax: this.options.messageBytesMax,
        waitingConnections: { perHostMax: this.options.waitingConnectionsPerHostMax, totalMax: this.options.waitingConnectionsMax },
      });
      this.boundPort = this.port.gated.port;
      const port = this.port;
      this.answers.cutPeer = (peer) => port.gated.cut(peer);
    } else {
      // Without TLS there is no ALPN to ask for a protocol by: gRPC alone.
      this.boundPort = await new Promise<number>((resolve, reject) => {
        this.server.bindAsync(this.options.listenAddress, serverCredentials(this.options.tls), (error, port) => (error ? reject(error) : resolve(port)));
      });
    }
    const http = this.cluster?.http;
    if (http)
      this.httpServer = await startHttpEndpoint(
        http.address,
        regionEndpoint(this.metrics, this.catalog, this.cluster?.membership, this.cluster?.lease),
        http.security,
        this.logger.child('http'),
        'metrics endpoint',
      );
    const address = this.address;
    this.logger.info('region serving', { address, dataDir: this.options.dataDir, incarnation: this.incarnation });
    return address;
  }

  private discardTables(): void {
    const tables = this.catalog.list();
    if (tables.length === 0) return;
    this.logger.warn('not in any replica group: discarding stale table files', { tables: tables.map((t) => t.name) });
    for (const table of tables) {
      this.queries.detach(table.name);
      this.catalog.drop(table.name);
    }
  }

  /** Connections on the port not yet admitted (connection-gate.ts): from `host`, or from all hosts; 0 without TLS. */
  waitingConnections(host?: string): number {
    return this.port?.gated.waitingConnections(host) ?? 0;
  }

  /** Bytes of answers waiting for their clients now (answer-budget.ts). */
  get answerBytesWaiting(): number {
    return this.answers.bytesWaiting;
  }

  /** Resolves when a connection stops counting as waiting. */
  async connectionLeft(): Promise<void> {
    if (this.port) await once(this.port.gated, 'connection-left');
  }

  get address(): string {
    const host = this.options.listenAddress.slice(0, this.options.listenAddress.lastIndexOf(':'));
    return `${host}:${this.boundPort}`;
  }

  /** Stops accepting calls, lets running ones finish (up to `graceMs`), closes the files. */
  async stop(graceMs = 2_000): Promise<void> {
    this.port?.gated.stopListening();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.port?.closeStatementConnections();
    await this.ftpServer?.stop().catch(() => undefined);
    this.httpServer?.closeAllConnections();
    this.httpServer?.close();
    await this.workers?.close();
    this.queries.close();
    this.catalog.close();
    this.logger.info('region stopped');
  }
}
