/**
 * The client's side of the statement protocol: the statements of one RegionTransport on
 * a TLS connection of their own, asked for by ALPN on the region's usual port, as
 * length-prefixed ExecuteFrame / ExecuteResultFrame messages (statement-frames.ts).
 *
 * Why not only the gRPC stream: at one client, a statement's round trip on the gRPC
 * stream cost 410-450 µs, of which the region's own work was 43 µs; HTTP/2 and grpc-js
 * took about 235 µs of it on a no-op server, raw TLS about 100 µs. The same statements on
 * this protocol: 320-350 µs (wire DESIGN.md). The messages, the login check, the
 * authorization and the handler are the gRPC stream's, so the two cannot drift apart.
 *
 * A region that does not offer the protocol refuses it in the TLS handshake
 * (`no_application_protocol`); the statements go on the gRPC stream instead, and the
 * transport stays there.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { hostAndPort, type ExecuteFrame, type ExecuteResultFrame__Output, type Login, type TlsIdentity } from '@minisql/common';
import type { DuplexCall } from './sequenced-stream.js';
import { decodeExecuteResultFrame, encodeExecuteFrame } from './codec/execute-codec.js';
import { framed, FrameReader, LOGIN_FRAME_BYTES_MAX, messageBytes, STATEMENT_ALPN } from './statement-frames.js';

/**
 * Idle time before TCP probes a quiet connection, in milliseconds: a region whose host
 * vanished (power, a cut cable) is found without waiting for a statement's deadline.
 */
export const STATEMENT_KEEPALIVE_IDLE_MS = 10_000;

/**
 * A handshake the server refused for want of a common ALPN protocol: OpenSSL's alert 120.
 * Node names it by code when the alert ends the handshake, and only in the message
 * (EPROTO) when it comes back on a write.
 */
function refusedProtocol(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' || /alert no application protocol/.test(error.message);
}

/**
 * Opens a statement connection to `address`, presenting `identity` and checking the
 * region's certificate against the cluster's authority and the address's name, and logs
 * in as `login`. When the region does not speak the protocol (it refuses it in the
 * handshake, or answers without choosing it), the call goes on over `fallback()` (the
 * gRPC stream) with the messages written meanwhile: none of them had left, since nothing
 * is sent before the handshake has chosen the protocol.
 */
export function openStatementSocket(
  address: string,
  identity: TlsIdentity,
  login: Login | undefined,
  fallback: () => DuplexCall<ExecuteFrame, ExecuteResultFrame__Output>,
  /** The largest frame sent or read: the gRPC message bound of the same transport (MESSAGE_BYTES_MAX). */
  frameBytesMax: number,
): DuplexCall<ExecuteFrame, ExecuteResultFrame__Output> {
  const { host, port } = hostAndPort(address);
  const socket = tls.connect({
    host,
    port,
    ca: identity.ca,
    cert: identity.cert,
    key: identity.key,
    ALPNProtocols: [STATEMENT_ALPN],
    // The name the certificate must hold, as grpc-js checks it (SNI takes no address).
    ...(net.isIP(host) ? {} : { servername: host }),
  });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, STATEMENT_KEEPALIVE_IDLE_MS);
  const call = new EventEmitter() as EventEmitter & DuplexCall<ExecuteFrame, ExecuteResultFrame__Output>;
  /** Messages written before the handshake chose the protocol: sent after the login, or on the fallback. */
  let early: ExecuteFrame[] | undefined = [];
  /** The gRPC stream, once the region turned the protocol down. */
  let replacement: DuplexCall<ExecuteFrame, ExecuteResultFrame__Output> | undefined;
  let failed = false;
  /** Reads and sends nothing more on the socket (failed, cancelled, or given up for the fallback). */
  const closeSocket = (): void => {
    failed = true;
    reader.stop();
    socket.destroy();
  };
  const fail = (code: GrpcStatus, details: string): void => {
    if (failed) return;
    closeSocket();
    call.emit('error', { code, details });
  };
  const reader = new FrameReader(
    (bytes) => {
      try {
        call.emit('data', decodeExecuteResultFrame(bytes));
      } catch (thrown) {
        fail(GrpcStatus.UNAVAILABLE, `an answer could not be read: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      }
    },
    (frameBytes) => fail(GrpcStatus.UNAVAILABLE, `the region announced a frame of ${frameBytes} bytes, past the bound`),
    frameBytesMax,
  );
  // As grpc-js refuses a message past its bound: the stream fails, LIMIT_EXCEEDED, not retried.
  const tooLarge = (bytes: number): void => fail(GrpcStatus.RESOURCE_EXHAUSTED, `a frame of ${bytes} bytes, past the bound of ${frameBytesMax}`);
  /** Frames and sends `message`, or fails the call through `refuse` when it is past `boundBytes`; true when sent. */
  const send = (message: ExecuteFrame, boundBytes = frameBytesMax, refuse = tooLarge): boolean => {
    const bytes = framed((headroomBytes) => encodeExecuteFrame(message, headroomBytes));
    if (messageBytes(bytes) > boundBytes) {
      refuse(messageBytes(bytes));
      return false;
    }
    socket.write(bytes);
    return true;
  };
  const useFallback = (): void => {
    closeSocket();
    const stream = fallback();
    replacement = stream;
    stream.on('data', (message) => call.emit('data', message));
    stream.on('error', (failure) => call.emit('error', failure));
    stream.on('end', () => call.emit('end'));
    for (const message of early ?? []) stream.write(message);
    early = undefined;
  };
  socket.once('secureConnect', () => {
    if (socket.alpnProtocol !== STATEMENT_ALPN) {
      useFallback();
      return;
    }
    // The region reads no more than LOGIN_FRAME_BYTES_MAX before a login (statement-frames.ts): say why here.
    const loginTooLong = (bytes: number): void =>
      fail(GrpcStatus.UNAUTHENTICATED, `a login of ${bytes} bytes, past the bound of ${LOGIN_FRAME_BYTES_MAX}: no user name or password is that long`);
    if (!send({ login: login ?? { user: '', password: '' } }, LOGIN_FRAME_BYTES_MAX, loginTooLong)) return;
    for (const message of early ?? []) send(message);
    early = undefined;
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (early !== undefined && refusedProtocol(error)) useFallback();
    else fail(GrpcStatus.UNAVAILABLE, error.message);
  });
  socket.on('close', () => fail(GrpcStatus.UNAVAILABLE, 'the statement connection closed'));
  call.write = (message) => {
    if (replacement) return replacement.write(message);
    if (early) early.push(message);
    else if (!failed) send(message);
    return true;
  };
  call.cancel = () => {
    if (replacement) {
      replacement.cancel();
      return;
    }
    closeSocket();
  };
  return call;
}
