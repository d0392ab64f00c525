/**
 * The one way a minisql process serves HTTP (the master's status page, a region's
 * metrics and health checks): HTTPS with the host's certificate when TLS is on, and,
 * when a token is set, only for requests that carry it.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { errors } from '../errors.js';
import { hostAndPort } from '../host-port.js';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Logger } from '../logger.js';
import type { TlsIdentity } from './tls-identity.js';

export interface HttpSecurity {
  tls?: TlsIdentity;
  /** Asked of every request, as `Authorization: Bearer TOKEN` or `?token=TOKEN`. */
  token?: string;
}

export interface HttpAnswer {
  status: number;
  type: string;
  body: string;
}

/** The token of `statusTokenFile`: a file of mode 600 with 16+ characters; INVALID_CONFIG naming the file otherwise. */
export function readSecretFile(path: string, source: string): string {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) throw new Error('it can be read by others: chmod 600 it');
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw errors.invalidConfig(source, 'statusTokenFile', `${path}: ${(error as Error).message}`);
  }
  if (text.length < 16) throw errors.invalidConfig(source, 'statusTokenFile', `${path} holds fewer than 16 characters: a token must be hard to guess`);
  return text;
}

/** True when the request carries the token (compared in constant time). */
export function tokenAccepted(expected: string, authorization: string | undefined, url: string): boolean {
  const query = new URL(url, 'https://endpoint/').searchParams.get('token');
  const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : (query ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Serves `answer(path)` at `address`; resolves once listening. */
export async function startHttpEndpoint(
  address: string,
  answer: (path: string) => Promise<HttpAnswer>,
  security: HttpSecurity,
  logger: Logger,
  what: string,
): Promise<Server> {
  const handler = (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse): void => {
    const respond = ({ status, type, body }: HttpAnswer): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (security.token !== undefined && !tokenAccepted(security.token, request.headers.authorization, request.url ?? '/')) {
      respond({ status: 401, type: 'text/plain', body: `this ${what} needs its token: Authorization: Bearer TOKEN, or ?token=TOKEN\n` });
      return;
    }
    answer((request.url ?? '/').split('?')[0] ?? '/').then(respond, (error: Error) =>
      respond({ status: 500, type: 'text/plain', body: `${what} unavailable: ${error.message}\n` }),
    );
  };
  const server: Server = security.tls ? createTlsServer({ key: security.tls.key, cert: security.tls.cert }, handler) : createServer(handler);
  const { host, port } = hostAndPort(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  logger.info(`${what} serving`, { url: `${security.tls ? 'https' : 'http'}://${address}/`, token: security.token === undefined ? 'none' : 'required' });
  return server;
}
