/**
 * One connection of the statement protocol (region-port.ts), shaped as the gRPC call the
 * ExecuteStream handler takes: the same handler checks the login and runs the statements,
 * so the two transports cannot judge a caller differently.
 *
 * The first frame must come within the login wait and carry the login (ExecuteFrame's
 * `login`); it may carry statements too, within LOGIN_FRAME_BYTES_MAX, which bounds what a
 * peer not yet logged in makes the region hold. A frame that cannot be read, or one announced
 * past its bound, closes the connection: nothing of it runs, and no other connection is
 * touched. The handler pauses the call when the client should wait (statement-flow.ts):
 * a paused connection reads no more chunks, and gives out no more frames of the chunk it
 * has.
 */
import { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import { PASSWORD_METADATA_KEY, USER_METADATA_KEY, type ExecuteFrame__Output, type ExecuteResultFrame } from '@minisql/common';
import { decodeExecuteFrame, encodeExecuteResultFrame, framed, FrameReader, LOGIN_FRAME_BYTES_MAX, peerOf, STATEMENT_KEEPALIVE_IDLE_MS } from '@minisql/wire';

/** What the ExecuteStream handler reads of its call. */
export interface StatementCall extends EventEmitter {
  cancelled: boolean;
  getAuthContext(): { transportSecurityType: string; sslPeerCertificate: tls.PeerCertificate };
  metadata: { get(key: string): string[] };
  /** `written` runs once the kernel has taken the frame (or the connection has closed). */
  write(frame: ExecuteResultFrame, written?: () => void): boolean;
  getPeer(): string;
  /** Closes the connection at once, its answers not yet sent dropped. */
  cut(): void;
  end(): void;
  pause(): void;
  resume(): void;
  isPaused(): boolean;
}

export function serveStatementConnection(
  socket: tls.TLSSocket,
  executeStream: (call: StatementCall) => void,
  loginWaitMs: number,
  frameBytesMax: number,
  /** Called once the login has come: the connection is admitted (connection-gate.ts). */
  onLogin: () => void,
): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, STATEMENT_KEEPALIVE_IDLE_MS);
  socket.on('error', () => undefined); // a reset by the peer: 'close' follows
  let metadata: Map<string, string> | undefined;
  const call = Object.assign(new EventEmitter(), {
    cancelled: false,
    getAuthContext: () => ({ transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() }),
    metadata: {
      get: (key: string): string[] => {
        const value = metadata?.get(key);
        return value ? [value] : [];
      },
    },
    write: (answers: ExecuteResultFrame, written?: () => void): boolean =>
      socket.write(
        framed((headroomBytes) => encodeExecuteResultFrame(answers, headroomBytes)),
        written,
      ),
    getPeer: (): string => peerOf(socket),
    cut: (): void => void socket.destroy(),
    end: (): void => void socket.end(),
    pause: (): void => {
      socket.pause();
      reader.hold();
    },
    resume: (): void => {
      socket.resume();
      // Not inside the write that got here: the frames it gives out start statements.
      queueMicrotask(() => {
        if (!socket.isPaused()) reader.release();
      });
    },
    isPaused: (): boolean => socket.isPaused(),
  });
  socket.on('drain', () => call.emit('drain'));
  const loginTimer = setTimeout(() => socket.destroy(), loginWaitMs);
  const reader = new FrameReader(
    (bytes) => {
      let received: ExecuteFrame__Output;
      try {
        received = decodeExecuteFrame(bytes);
      } catch {
        reader.stop();
        socket.destroy();
        return;
      }
      if (metadata === undefined) {
        clearTimeout(loginTimer);
        reader.bound(frameBytesMax);
        onLogin();
        metadata = new Map([
          [USER_METADATA_KEY, received.login?.user ?? ''],
          [PASSWORD_METADATA_KEY, received.login?.password ?? ''],
        ]);
        executeStream(call);
      }
      if (received.requests.length > 0 || received.cancel.length > 0) call.emit('data', received);
    },
    () => socket.destroy(),
    // Until the login has come, no more than a login's frame (see LOGIN_FRAME_BYTES_MAX).
    Math.min(LOGIN_FRAME_BYTES_MAX, frameBytesMax),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('close', () => {
    clearTimeout(loginTimer);
    reader.stop();
    call.cancelled = true;
    call.emit('end');
    call.emit('close');
  });
}
