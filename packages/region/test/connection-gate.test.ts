/**
 * Connections not yet admitted (in their TLS handshake, or waiting for their login) are
 * bounded per host and in all: the decision's scenarios, then a real region with real
 * certificates flooded with TCP connections that never say anything, from other
 * loopback addresses (127.0.0.2 and up reach a region listening on 127.0.0.1).
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { loadProtos, type TlsIdentity } from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import { frame, STATEMENT_ALPN } from '@minisql/wire';
import { ConnectionGate, mayWait } from '../src/connection-gate.js';
import type { RegionServer } from '../src/region-server.js';
import { startTlsRegion, type TlsRegion } from './support/tls-region.js';

describe('the connection gate decides', () => {
  const limits = { perHostMax: 2, totalMax: 3 };

  it('lets a host wait with fewer than its bound, and no host past it', () => {
    assert.equal(mayWait(0, 0, limits), true);
    assert.equal(mayWait(1, 1, limits), true);
    assert.equal(mayWait(2, 2, limits), false);
  });

  it('lets no host wait once all hosts together hold the total bound', () => {
    assert.equal(mayWait(0, 3, limits), false);
    assert.equal(mayWait(1, 2, limits), true);
  });

  it('counts a connection until it leaves, once however often it leaves', () => {
    const gate = new ConnectionGate(limits);
    const first = gate.enter('10.0.0.1');
    const second = gate.enter('10.0.0.1');
    assert.ok(first && second);
    assert.equal(gate.enter('10.0.0.1'), undefined, 'a third from the same host');
    const other = gate.enter('10.0.0.2');
    assert.ok(other);
    assert.equal(gate.enter('10.0.0.3'), undefined, 'past the total');
    assert.equal(first(), true);
    assert.equal(first(), false, 'a second leave of the same connection');
    assert.equal(gate.waitingFrom('10.0.0.1'), 1);
    assert.equal(gate.waitingFrom(), 2);
    assert.ok(gate.enter('10.0.0.3'), 'room again once one left');
  });
});

const PER_HOST_MAX = 8;
const TOTAL_MAX = 12;
/** Long enough that no connection of the test is cut by the wait: what closes them is the gate. */
const LOGIN_WAIT_MS = 60_000;
const FLOOD = 50;
let fixture: TlsRegion;
let region: RegionServer;
let caller: TlsIdentity;
let port: number;
const opened: net.Socket[] = [];

before(async () => {
  fixture = await startTlsRegion('connection-gate', {
    loginWaitMs: LOGIN_WAIT_MS,
    waitingConnectionsPerHostMax: PER_HOST_MAX,
    waitingConnectionsMax: TOTAL_MAX,
  });
  ({ region, caller, port } = fixture);
  await fixture.run('create table kv (id int primary key, v text);', "insert into kv values (1, 'one');");
});

after(async () => {
  for (const socket of opened) socket.destroy();
  await fixture?.stop();
});

/** `count` TCP connections from `localAddress` that send nothing; resolves once each is connected, with which the region has closed. */
async function silentConnections(localAddress: string, count: number): Promise<{ sockets: net.Socket[]; closed: Set<net.Socket> }> {
  const closed = new Set<net.Socket>();
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = net.connect({ host: '127.0.0.1', port, localAddress });
      opened.push(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => closed.add(socket));
      await once(socket, 'connect');
      return socket;
    }),
  );
  return { sockets, closed };
}

/** Waits until `closed` holds `count` sockets (their close events add them). */
async function closedCount(sockets: net.Socket[], closed: Set<net.Socket>, count: number): Promise<void> {
  while (closed.size < count) await Promise.race(sockets.filter((s) => !closed.has(s)).map((s) => once(s, 'close')));
}

/** A TLS handshake with the cluster's certificate from `localAddress`: resolves true when it completes, false when the region closes it. */
async function handshake(localAddress: string, alpn = 'h2'): Promise<{ ok: boolean; socket: net.Socket }> {
  const socket = tlsConnect({ socket: net.connect({ host: '127.0.0.1', port, localAddress }), host: '127.0.0.1', ...caller, ALPNProtocols: [alpn] });
  opened.push(socket);
  socket.on('error', () => undefined);
  // events.once rejects on 'error': a connection the region closes mid-handshake ends so.
  const ok = await Promise.race([
    once(socket, 'secureConnect').then(
      () => true,
      () => false,
    ),
    once(socket, 'close').then(() => false),
  ]);
  return { ok, socket };
}

/** Every wait below is for an event; a region that never sends it fails the test here instead of hanging it. */
const WAIT_MS = 20_000;

describe('a region flooded with connections that never log in', { timeout: WAIT_MS }, () => {
  it("keeps only its per-host bound of one host's silent connections, closes the rest at once, and serves every other host", async () => {
    const flood = await silentConnections('127.0.0.2', FLOOD);
    await closedCount(flood.sockets, flood.closed, FLOOD - PER_HOST_MAX);
    assert.equal(region.waitingConnections('127.0.0.2'), PER_HOST_MAX);
    assert.equal(flood.closed.size, FLOOD - PER_HOST_MAX, 'exactly the per-host bound stays open');

    const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
    try {
      const result = await client.execute('select v from kv where id = 1;');
      assert.equal(result.rows[0]?.[0], 'one');
    } finally {
      client.close();
    }
    assert.equal((await handshake('127.0.0.2')).ok, false, 'the flooding host gets no more room, even with a certificate');
  });

  it('bounds all hosts together, and gives the room back when the waiting connections go', async () => {
    const third = await silentConnections('127.0.0.3', PER_HOST_MAX);
    await closedCount(third.sockets, third.closed, PER_HOST_MAX - (TOTAL_MAX - PER_HOST_MAX));
    assert.equal(region.waitingConnections(), TOTAL_MAX);

    for (const socket of opened) socket.destroy();
    while (region.waitingConnections() > 0) await region.connectionLeft();
    assert.equal((await handshake('127.0.0.2')).ok, true, 'the flooding host is served once its connections are gone');
  });

  it('stops counting a statement connection once it has sent its login', async () => {
    const codec = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;
    for (let i = 0; i < PER_HOST_MAX + 2; i += 1) {
      const { ok, socket } = await handshake('127.0.0.4', STATEMENT_ALPN);
      assert.ok(ok, `statement connection ${i}`);
      socket.write(frame(codec.requestSerialize({ requests: [], login: { user: '', password: '' } })));
      while (region.waitingConnections('127.0.0.4') > 0) await region.connectionLeft();
    }
  });
});
