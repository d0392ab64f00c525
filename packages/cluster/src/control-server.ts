/**
 * A loopback HTTP endpoint through which `minisql-cluster kill|restart|ps` reaches the
 * running local cluster. Its address is written to `<dataDir>/cluster.json`.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCluster } from './local-cluster.js';

export interface ControlFile {
  url: string;
  pid: number;
}

export function controlFilePath(dataDir: string): string {
  return join(dataDir, 'cluster.json');
}

export async function startControlServer(cluster: LocalCluster, dataDir: string): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const [, action, name] = (request.url ?? '').split('/');
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const run = async (): Promise<void> => {
      if (request.method === 'GET' && action === 'processes') return reply(200, cluster.list());
      if (request.method === 'POST' && action === 'kill' && name) return cluster.kill(decodeURIComponent(name)).then(() => reply(200, { ok: true }));
      if (request.method === 'POST' && action === 'restart' && name) return cluster.restart(decodeURIComponent(name)).then(() => reply(200, { ok: true }));
      return reply(404, { error: `unknown request ${request.method} ${request.url}` });
    };
    run().catch((error: Error) => reply(400, { error: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const file = controlFilePath(dataDir);
  writeFileSync(file, JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid } satisfies ControlFile));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(file, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Sends one control request to the cluster started from `dataDir`. */
export async function sendControl(dataDir: string, method: 'GET' | 'POST', path: string): Promise<unknown> {
  let control: ControlFile;
  try {
    control = JSON.parse(readFileSync(controlFilePath(dataDir), 'utf8')) as ControlFile;
  } catch {
    throw new Error(`no local cluster is running from ${dataDir} (start one with npm start)`);
  }
  let response: Response;
  try {
    response = await fetch(`${control.url}${path}`, { method, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Error(`the local cluster's control endpoint ${control.url} does not answer (${(error as Error).message}); is the cluster still running?`, {
      cause: error,
    });
  }
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(body.error ?? `control request failed with HTTP ${response.status}`);
  return body;
}
