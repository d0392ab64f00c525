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
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { hostAndPort, type RegionServiceHandlers, type TlsIdentity } from '@minisql/common';
import { STATEMENT_ALPN } from '@minisql/wire';
import { ConnectionGate, hostKey, type GateLimits } from './connection-gate.js';
import { peerOf, serveStatementConnection } from './statement-connection.js';

export interface RegionPortOptions {
  /** How long a caller has for its TLS handshake, and on the statement protocol then for its login (RegionOptions.loginWaitMs). */
  loginWaitMs: number;
  /** The largest frame a statement connection may send (RegionOptions.messageBytesMax, as for gRPC). */
  frameBytesMax: number;
  /** Connections not yet admitted (connection-gate.ts), per host and in all. */
  waitingConnections: GateLimits;
}

/** Emits 'connection-left' when a connection stops counting as waiting (admitted, or closed). */
export class RegionPort extends EventEmitter {
  private readonly statementSockets = new Set<tls.TLSSocket>();
  /** The gRPC connections served, by their peer as grpc-js names it: what `cut` closes. */
  private readonly served = new Map<string, Set<tls.TLSSocket>>();
  /** Connections in their handshake or waiting for their login, and how each stops counting, by its TCP ends. */
  private readonly gate: ConnectionGate;
  private readonly waiting = new Map<string, () => boolean>();
  /** Set by stopListening: a handshake that completes afterwards is closed, not served. */
  private stopped = false;

  private constructor(
    private readonly listener: tls.Server,
    /** The port bound (differs from the one asked for when that was 0). */
    readonly port: number,
    limits: GateLimits,
  ) {
    super();
    this.gate = new ConnectionGate(limits);
    // Runs after node:tls has wrapped the socket for its handshake: the TCP socket is
    // counted until its connection is admitted or closes, and closed at once past a bound.
    listener.on('connection', (raw: net.Socket) => {
      raw.on('error', () => undefined);
      // Gone before it was accepted (reset by the peer): nothing to count or to serve.
      const host = raw.remoteAddress;
      const leave = host === undefined ? undefined : this.gate.enter(hostKey(host), () => raw.destroy());
      if (leave === undefined) {
        raw.destroy();
        return;
      }
      const ends = tcpEnds(raw);
      this.waiting.set(ends, leave);
      raw.once('close', () => {
        // Its own count, whatever the map holds now under the same ends.
        if (this.waiting.get(ends) === leave) this.waiting.delete(ends);
        this.left(leave);
      });
    });
  }

  /** Connections not yet admitted: from `host`, or from all hosts. */
  waitingConnections(host?: string): number {
    return this.gate.waitingFrom(host);
  }

  /** `socket`'s connection no longer counts as waiting: admitted, or closed. */
  private admit(ends: string): void {
    const leave = this.waiting.get(ends);
    if (leave === undefined) return;
    this.waiting.delete(ends);
    this.left(leave);
  }

  private left(leave: () => boolean): void {
    if (leave()) this.emit('connection-left');
  }

  /** Listens on `listenAddress` (host:port) for `server`'s gRPC services and for `handlers.ExecuteStream`'s statements. */
  static listen(
    server: grpc.Server,
    listenAddress: string,
    identity: TlsIdentity,
    handlers: RegionServiceHandlers,
    options: RegionPortOptions,
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
        handshakeTimeout: options.loginWaitMs,
      },
      (socket) => {
        // Node takes its own listener off a socket it hands over: a reset by the peer must
        // not become an 'error' nobody handles, which would end the process.
        socket.on('error', () => undefined);
        if (!regionPort || regionPort.stopped) socket.destroy();
        else if (socket.alpnProtocol === STATEMENT_ALPN) regionPort.track(socket, handlers, options);
        else if (socket.alpnProtocol === 'h2') {
          // A certificate of the cluster: admitted (grpc-js checks each call's login).
          regionPort.admit(tcpEnds(socket));
          regionPort.serve(socket);
          injector.injectConnection(socket);
        }
        // No protocol asked for (grpc-js always asks for h2): nobody here speaks it.
        else socket.destroy();
      },
    );
    // A caller without a certificate of this cluster, gone mid-handshake, or past the
    // handshake's time: its connection is closed; nothing else is affected. node:tls
    // closes on a failed handshake itself, but on its timeout only reports it.
    listener.on('tlsClientError', (_error, socket) => socket.destroy());
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        regionPort = new RegionPort(listener, (listener.address() as net.AddressInfo).port, options.waitingConnections);
        resolve(regionPort);
      });
    });
  }

  /**
   * Closes the gRPC connection of `peer` (`host:port`, as grpc-js's getPeer names it);
   * false when no connection, or more than one (the same peer on two local addresses), has
   * that name.
   */
  cut(peer: string): boolean {
    const sockets = this.served.get(peer);
    if (sockets?.size !== 1) return false;
    for (const socket of sockets) socket.destroy();
    return true;
  }

  private serve(socket: tls.TLSSocket): void {
    const peer = peerOf(socket);
    const sockets = this.served.get(peer) ?? new Set<tls.TLSSocket>();
    this.served.set(peer, sockets.add(socket));
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.served.get(peer) === sockets) this.served.delete(peer);
    });
  }

  private track(socket: tls.TLSSocket, handlers: RegionServiceHandlers, options: RegionPortOptions): void {
    this.statementSockets.add(socket);
    socket.on('close', () => this.statementSockets.delete(socket));
    const ends = tcpEnds(socket);
    serveStatementConnection(socket, handlers.ExecuteStream as never, options.loginWaitMs, options.frameBytesMax, () => this.admit(ends));
  }

  /** Accepts no new connection, and serves none whose handshake ends later; those open go on (the gRPC server's shutdown ends its own). */
  stopListening(): void {
    this.stopped = true;
    this.listener.close();
  }

  /** Closes every statement connection still open: the end of the region's stop. */
  closeStatementConnections(): void {
    for (const socket of this.statementSockets) socket.destroy();
    this.statementSockets.clear();
  }
}

/** A TCP connection's two ends: the same on the TCP socket and on the TLS socket over it. */
function tcpEnds(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}
