/**
 * A gated TLS port with a real gRPC server behind it, real certificates of a cluster made
 * for the test, and real sockets: silent connections from other loopback addresses
 * (127.0.0.2 and up reach a port on 127.0.0.1) are bounded per host and in all, a silent
 * one is cut at the end of the handshake wait, and gRPC is served to everyone else
 * throughout. Everything made is removed afterwards, also when a test fails.
 */
import { strict as assert } from 'node:assert';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, loadTlsIdentity, makeCertificates, type RegionServiceHandlers, type TlsIdentity } from '@minisql/common';
import { GatedTlsPort } from '../src/port/gated-tls-port.js';
import { regionStub } from '../src/stubs.js';

const PER_HOST_MAX = 4;
const TOTAL_MAX = 6;
/** Long enough that what closes the flood's connections is the gate, not the wait. */
const HANDSHAKE_WAIT_MS = 60_000;
const SHORT_WAIT_MS = 300;
/** Every wait below is for an event; a port that never sends it fails the test here. */
const TEST_TIMEOUT_MS = 20_000;

let dir = '';
let identity: TlsIdentity;
const servers: grpc.Server[] = [];
const ports: GatedTlsPort[] = [];
/** Every socket a test opened: closed at its end, whatever happened. */
const opened: net.Socket[] = [];

/** A gRPC server answering RegionService.Ping, behind a gated port on 127.0.0.1. */
async function gatedServer(handshakeWaitMs: number): Promise<GatedTlsPort> {
  const server = new grpc.Server();
  const ping: Pick<RegionServiceHandlers, 'Ping'> = { Ping: (_call, callback) => callback(null, { region_id: 'gated', incarnation: 'test' }) };
  server.addService(loadProtos().region.minisql.v1.RegionService.service, ping);
  servers.push(server);
  const port = await GatedTlsPort.listen(server, '127.0.0.1:0', identity, {
    handshakeWaitMs,
    waitingConnections: { perHostMax: PER_HOST_MAX, totalMax: TOTAL_MAX },
  });
  ports.push(port);
  return port;
}

async function pinged(port: GatedTlsPort): Promise<string> {
  const stub = regionStub(`127.0.0.1:${port.port}`, identity);
  try {
    return await new Promise<string>((resolve, reject) =>
      stub.Ping({}, { deadline: Date.now() + 10_000 }, (error, answer) => (error ? reject(error) : resolve(answer?.region_id ?? ''))),
    );
  } finally {
    stub.close();
  }
}

/** `count` TCP connections from `localAddress` that send nothing; resolves once each is connected, with a promise of `closed(n)`. */
async function silentConnections(port: GatedTlsPort, localAddress: string, count: number): Promise<{ closed: (n: number) => Promise<number> }> {
  const events = new EventEmitter();
  let closedCount = 0;
  for (let i = 0; i < count; i += 1) {
    const socket = net.connect({ host: '127.0.0.1', port: port.port, localAddress });
    opened.push(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      closedCount += 1;
      events.emit('closed');
    });
    await once(socket, 'connect');
  }
  return {
    closed: async (n) => {
      while (closedCount < n) await once(events, 'closed');
      return closedCount;
    },
  };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'minisql-gated-port-'));
  makeCertificates(dir, [{ name: 'node1', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] }]);
  identity = loadTlsIdentity(dir, 'node1');
});

afterEach(() => {
  for (const socket of opened.splice(0)) socket.destroy();
});

after(() => {
  for (const port of ports) port.stopListening();
  for (const server of servers) server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('a gated TLS port', () => {
  it(
    "keeps only its per-host bound of one host's silent connections, closes the rest at once, and serves gRPC to another host",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await gatedServer(HANDSHAKE_WAIT_MS);
      const flood = await silentConnections(port, '127.0.0.2', 3 * PER_HOST_MAX);
      assert.equal(await flood.closed(2 * PER_HOST_MAX), 2 * PER_HOST_MAX);
      assert.equal(port.waitingConnections('127.0.0.2'), PER_HOST_MAX);
      assert.equal(await pinged(port), 'gated');
      assert.equal(port.waitingConnections(), PER_HOST_MAX, 'a served gRPC connection no longer counts as waiting');
    },
  );

  it('when two hosts fill the total, a newcomer host takes the place of the biggest one', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await gatedServer(HANDSHAKE_WAIT_MS);
    const two = await silentConnections(port, '127.0.0.3', PER_HOST_MAX);
    await silentConnections(port, '127.0.0.4', TOTAL_MAX - PER_HOST_MAX);
    // The total is full: the newcomer closes the oldest of .3's, which holds two more than it.
    await silentConnections(port, '127.0.0.5', 1);
    await two.closed(1);
    assert.deepEqual([port.waitingConnections('127.0.0.3'), port.waitingConnections('127.0.0.5'), port.waitingConnections()], [PER_HOST_MAX - 1, 1, TOTAL_MAX]);
  });

  it('cuts a connection that has not finished its handshake within the wait, and counts it no more', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await gatedServer(SHORT_WAIT_MS);
    const started = performance.now();
    const silent = await silentConnections(port, '127.0.0.6', 1);
    await silent.closed(1);
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= SHORT_WAIT_MS * 0.9 && waitedMs < SHORT_WAIT_MS + 5_000, `cut after ${Math.round(waitedMs)} ms`);
    while (port.waitingConnections() > 0) await once(port, 'connection-left');
    assert.equal(await pinged(port), 'gated');
  });
});
