/**
 * A gRPC server's port with TLS terminated here rather than by grpc-js: mutual TLS with
 * the cluster's authority, then the protocol the caller asks for by ALPN picks what
 * serves the connection. `h2` goes to the gRPC server through grpc-js's connection
 * injector (grpc-js reads the caller's certificate from the socket, so every service sees
 * the caller it would with grpc-js's own TLS); other protocols to their own handlers (the
 * region's statement protocol).
 *
 * Why not grpc-js's own TLS: there, a connection that never finishes its handshake holds a
 * socket for Node's default two minutes, and nothing bounds how many. Here each waits at
 * most `handshakeWaitMs`, and connections not yet admitted are bounded per host and in
 * all (connection-gate.ts), so a host flooding the port with silent connections shuts out
 * only itself. A connection is admitted by its certificate (h2), or when its protocol's
 * handler says so (the statement protocol: once its login has come).
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { hostAndPort, type TlsIdentity } from '@minisql/common';
import { ConnectionGate, hostKey, type GateLimits } from './connection-gate.js';

/** How long a caller has for its TLS handshake by default, in milliseconds (PostgreSQL's authentication_timeout is a minute). */
export const HANDSHAKE_WAIT_MS_DEFAULT = 10_000;

/**
 * Connections not yet admitted, from one host and from all hosts, by default: room for a
 * host's whole pool of clients connecting at once, while a thousand TLS sockets in their
 * handshake hold a few tens of MiB at most.
 */
export const WAITING_CONNECTIONS_DEFAULT: Readonly<GateLimits> = Object.freeze({ perHostMax: 128, totalMax: 1_024 });

/** Serves one connection of a protocol other than h2; `admit` once it no longer counts as waiting. */
export type ProtocolHandler = (socket: tls.TLSSocket, admit: () => void) => void;

export interface GatedTlsPortOptions {
  /** How long a caller has for its TLS handshake, in milliseconds (and a protocol's handler may give the same again for its login). */
  handshakeWaitMs: number;
  /** Connections not yet admitted, per host and in all. */
  waitingConnections: GateLimits;
  /** Protocols besides h2, by ALPN name. */
  protocols?: Readonly<Record<string, ProtocolHandler>>;
}

/** Emits 'connection-left' when a connection stops counting as waiting (admitted, or closed). */
export class GatedTlsPort extends EventEmitter {
  /** The gRPC connections served, by their peer as grpc-js names it: what `cut` closes. */
  private readonly served = new Map<string, Set<tls.TLSSocket>>();
  /** Connections in their handshake or waiting to be admitted, and how each stops counting, by its TCP ends. */
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

  /** Listens on `listenAddress` (host:port) for `server`'s gRPC services and `options.protocols`. */
  static listen(server: grpc.Server, listenAddress: string, identity: TlsIdentity, options: GatedTlsPortOptions): Promise<GatedTlsPort> {
    const { host, port } = hostAndPort(listenAddress);
    const protocols = options.protocols ?? {};
    // TLS is done here: grpc-js gets the decrypted stream, as if its port were plaintext.
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    let gated: GatedTlsPort | undefined;
    const listener = tls.createServer(
      {
        key: identity.key,
        cert: identity.cert,
        ca: identity.ca,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2', ...Object.keys(protocols)],
        handshakeTimeout: options.handshakeWaitMs,
      },
      (socket) => {
        // Node takes its own listener off a socket it hands over: a reset by the peer must
        // not become an 'error' nobody handles, which would end the process.
        socket.on('error', () => undefined);
        const protocol = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined;
        const handler = protocol === undefined || protocol === 'h2' ? undefined : protocols[protocol];
        const ends = tcpEnds(socket);
        if (!gated || gated.stopped) socket.destroy();
        else if (handler) handler(socket, () => gated?.admit(ends));
        else if (protocol === 'h2') {
          // A certificate of the cluster: admitted (grpc-js checks each call's login).
          gated.admit(ends);
          gated.serve(socket);
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
        gated = new GatedTlsPort(listener, (listener.address() as net.AddressInfo).port, options.waitingConnections);
        resolve(gated);
      });
    });
  }

  /** Connections not yet admitted: from `host`, or from all hosts. */
  waitingConnections(host?: string): number {
    return this.gate.waitingFrom(host);
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

  /** Accepts no new connection, and serves none whose handshake ends later; those open go on (the gRPC server's shutdown ends its own). */
  stopListening(): void {
    this.stopped = true;
    this.listener.close();
  }

  /** The connection with these TCP ends no longer counts as waiting: admitted, or closed. */
  private admit(ends: string): void {
    const leave = this.waiting.get(ends);
    if (leave === undefined) return;
    this.waiting.delete(ends);
    this.left(leave);
  }

  private left(leave: () => boolean): void {
    if (leave()) this.emit('connection-left');
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
}

/** A connection's peer as grpc-js names it (`getPeer`): what is logged, and how `cut` finds a gRPC connection. */
export function peerOf(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}

/** A TCP connection's two ends: the same on the TCP socket and on the TLS socket over it. */
function tcpEnds(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}
