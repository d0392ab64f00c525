/**
 * The region's port with TLS on: it terminates TLS itself (mutual, the cluster's
 * authority), and the protocol the caller asks for by ALPN picks what serves the
 * connection.
 * - `h2`: the gRPC server, handed the TLS socket through grpc-js's connection injector;
 *   grpc-js reads the caller's certificate from that socket, so every service sees the
 *   same caller it would with grpc-js's own TLS.
 * - `minisql-statements/1` (STATEMENT_ALPN): the statement protocol, length-prefixed
 *   ExecuteFrame / ExecuteResultFrame messages to the very ExecuteStream handler gRPC
 *   calls (statement-connection.ts).
 * One port and one certificate check for both, so the statement protocol needs no
 * setting, no discovery and no firewall rule of its own.
 */
import type net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { hostAndPort, type RegionServiceHandlers, type TlsIdentity } from '@minisql/common';
import { STATEMENT_ALPN } from '@minisql/wire';
import { serveStatementConnection } from './statement-connection.js';

export class RegionPort {
  private readonly statementSockets = new Set<tls.TLSSocket>();

  private constructor(
    private readonly listener: tls.Server,
    /** The port bound (differs from the one asked for when that was 0). */
    readonly port: number,
  ) {}

  /** Listens on `listenAddress` (host:port) for `server`'s gRPC services and for `handlers.ExecuteStream`'s statements. */
  static listen(
    server: grpc.Server,
    listenAddress: string,
    identity: TlsIdentity,
    handlers: RegionServiceHandlers,
    /** How long a caller has for its TLS handshake and, on the statement protocol, its login (RegionOptions.loginWaitMs). */
    loginWaitMs: number,
  ): Promise<RegionPort> {
    const { host, port } = hostAndPort(listenAddress);
    // TLS is done here: grpc-js gets the decrypted stream, as if its port were plaintext.
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    let regionPort: RegionPort | undefined;
    const listener = tls.createServer(
      {
        key: identity.key,
        cert: identity.cert,
        ca: identity.ca,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2', STATEMENT_ALPN],
        handshakeTimeout: loginWaitMs,
      },
      (socket) => {
        if (socket.alpnProtocol === STATEMENT_ALPN) regionPort?.track(socket, handlers, loginWaitMs);
        else injector.injectConnection(socket);
      },
    );
    // A caller without a certificate of this cluster, or gone mid-handshake: its
    // connection is closed; nothing else is affected.
    listener.on('tlsClientError', () => undefined);
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        regionPort = new RegionPort(listener, (listener.address() as net.AddressInfo).port);
        resolve(regionPort);
      });
    });
  }

  private track(socket: tls.TLSSocket, handlers: RegionServiceHandlers, loginWaitMs: number): void {
    this.statementSockets.add(socket);
    socket.on('close', () => this.statementSockets.delete(socket));
    serveStatementConnection(socket, handlers.ExecuteStream as never, loginWaitMs);
  }

  /** Accepts no new connection; those open go on (the gRPC server's shutdown ends its own). */
  stopListening(): void {
    this.listener.close();
  }

  /** Closes every statement connection still open: the end of the region's stop. */
  closeStatementConnections(): void {
    for (const socket of this.statementSockets) socket.destroy();
    this.statementSockets.clear();
  }
}
