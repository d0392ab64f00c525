/**
 * The region's port with TLS on: a gated TLS port (wire's gated-tls-port.ts) serving
 * gRPC (`h2`) and the statement protocol (`minisql-statements/1`, STATEMENT_ALPN):
 * length-prefixed ExecuteFrame / ExecuteResultFrame messages to the very ExecuteStream
 * handler gRPC calls (statement-connection.ts). One port and one certificate check for
 * both, so the statement protocol needs no setting, no discovery and no firewall rule of
 * its own. A statement connection counts as waiting until its login has come.
 */
import type tls from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import type { RegionServiceHandlers, TlsIdentity } from '@minisql/common';
import { GatedTlsPort, STATEMENT_ALPN, type GateLimits } from '@minisql/wire';
import { serveStatementConnection } from './statement-connection.js';

export interface RegionPortOptions {
  /** How long a caller has for its TLS handshake, and on the statement protocol then for its login (RegionOptions.loginWaitMs). */
  loginWaitMs: number;
  /** The largest frame a statement connection may send (RegionOptions.messageBytesMax, as for gRPC). */
  frameBytesMax: number;
  /** Connections not yet admitted (connection-gate.ts), per host and in all. */
  waitingConnections: GateLimits;
}

export class RegionPort {
  private constructor(
    /** The gated port: its waiting connections, `cut`, `stopListening` and its 'connection-left' events. */
    readonly gated: GatedTlsPort,
    /** The statement connections open: filled as they come, emptied by closeStatementConnections. */
    private readonly statementSockets: Set<tls.TLSSocket>,
  ) {}

  /** Listens on `listenAddress` (host:port) for `server`'s gRPC services and for `handlers.ExecuteStream`'s statements. */
  static async listen(
    server: grpc.Server,
    listenAddress: string,
    identity: TlsIdentity,
    handlers: RegionServiceHandlers,
    options: RegionPortOptions,
  ): Promise<RegionPort> {
    const statementSockets = new Set<tls.TLSSocket>();
    const gated = await GatedTlsPort.listen(server, listenAddress, identity, {
      handshakeWaitMs: options.loginWaitMs,
      waitingConnections: options.waitingConnections,
      protocols: {
        [STATEMENT_ALPN]: (socket, admit) => {
          statementSockets.add(socket);
          socket.on('close', () => statementSockets.delete(socket));
          serveStatementConnection(socket, handlers.ExecuteStream as never, options.loginWaitMs, options.frameBytesMax, admit);
        },
      },
    });
    return new RegionPort(gated, statementSockets);
  }

  /** Closes every statement connection still open: the end of the region's stop. */
  closeStatementConnections(): void {
    for (const socket of this.statementSockets) socket.destroy();
    this.statementSockets.clear();
  }
}
