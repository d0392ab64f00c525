/**
 * A bound on ftp-srv's wait for a passive data connection. ftp-srv (4.6) polls for it
 * every 50 ms and, once its timeout has passed, goes on polling forever: a data connection
 * that never completes (a caller whose TLS handshake is refused: no certificate of the
 * cluster) would leave a timer running for the life of the process. This version stops
 * polling at the timeout, and keeps ftp-srv's promise type (Bluebird), which its
 * commands rely on (`.tap`).
 */
import { createRequire } from 'node:module';

const fromHere = createRequire(import.meta.url);
const fromFtpSrv = createRequire(fromHere.resolve('ftp-srv'));
const Bluebird = fromFtpSrv('bluebird') as { new <T>(executor: (resolve: (value: T) => void, reject: (error: Error) => void) => void): PromiseLike<T> };
const Passive = fromFtpSrv('./src/connector/passive.js') as { prototype: PassiveConnector };
const { ConnectorError } = fromFtpSrv('./src/errors.js') as { ConnectorError: new (message: string) => Error };

interface PassiveConnector {
  dataServer: { listening: boolean } | null;
  dataSocket: { connected?: boolean } | null;
  waitForConnection(options?: { timeout?: number; delay?: number }): PromiseLike<unknown>;
}

Passive.prototype.waitForConnection = function waitForConnection(this: PassiveConnector, { timeout = 5_000, delay = 50 } = {}) {
  return new Bluebird<unknown>((resolve, reject) => {
    const deadline = Date.now() + timeout;
    const check = (): void => {
      if (this.dataServer?.listening && this.dataSocket?.connected) resolve(this.dataSocket);
      else if (Date.now() >= deadline) reject(new ConnectorError('the data connection did not come in time'));
      else setTimeout(check, delay);
    };
    if (!this.dataServer) reject(new ConnectorError('Passive server not setup'));
    else check();
  });
};
