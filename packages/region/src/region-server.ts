/** A running region: its tables, its engine and its gRPC server. */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { loadProtos, type Logger } from '@minisql/common';
import { QueryConnection } from './query-connection.js';
import type { RegionOptions } from './region-options.js';
import { regionServiceHandlers } from './region-service.js';
import { SqlEngine } from './sql-engine.js';
import { TableCatalog } from './table-catalog.js';

export class RegionServer {
  /** Unique per process start, so the cluster can tell a restarted region from the old one. */
  readonly incarnation = randomUUID();
  private readonly catalog: TableCatalog;
  private readonly queries: QueryConnection;
  private readonly engine: SqlEngine;
  private readonly server: grpc.Server;
  /** The port actually bound (differs from the configured one when that was 0). Valid after start(). */
  private boundPort = 0;

  constructor(
    private readonly options: RegionOptions,
    private readonly logger: Logger,
  ) {
    this.catalog = new TableCatalog(options.dataDir, { statementCacheSize: options.statementCacheSize, synchronous: options.synchronous }, logger.child('catalog'));
    this.queries = new QueryConnection(options.statementCacheSize);
    this.engine = new SqlEngine(this.catalog, this.queries, { resultRowsMax: options.resultRowsMax, analysisCacheSize: options.analysisCacheSize, replicated: false });
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': options.messageBytesMax,
      'grpc.max_send_message_length': options.messageBytesMax,
    });
  }

  /** Opens the tables and starts serving; resolves with the bound address. */
  async start(): Promise<string> {
    this.catalog.load();
    const { region } = loadProtos();
    this.server.addService(region.minisql.v1.RegionService.service, regionServiceHandlers(this.engine, this.options.regionId, this.incarnation, this.logger));
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.listenAddress, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    const address = this.address;
    this.logger.info('region serving', { address, dataDir: this.options.dataDir, incarnation: this.incarnation });
    return address;
  }

  get address(): string {
    const host = this.options.listenAddress.slice(0, this.options.listenAddress.lastIndexOf(':'));
    return `${host}:${this.boundPort}`;
  }

  /** Stops accepting calls, lets running ones finish (up to `graceMs`), closes the files. */
  async stop(graceMs = 2_000): Promise<void> {
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
    this.queries.close();
    this.catalog.close();
    this.logger.info('region stopped');
  }
}
