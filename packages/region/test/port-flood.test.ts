/**
 * Connections not yet admitted (in their TLS handshake, or waiting for their login) are
 * bounded per host and in all (wire's connection-gate.ts, whose decisions
 * wire/test/connection-gate.test.ts tries): a real region with real certificates flooded
 * with TCP connections that never say anything, from other loopback addresses (127.0.0.2
 * and up reach a region listening on 127.0.0.1).
 */
import { strict as assert } from 'node:assert';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { loadProtos, type TlsIdentity } from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import { frame, STATEMENT_ALPN } from '@minisql/wire';
import type { RegionServer } from '../src/region-server.js';
import { startTlsRegion, type TlsRegion } from './support/tls-region.js';

const PER_HOST_MAX = 8;
const TOTAL_MAX = 12;
/** Long enough that no connection of the flood tests is cut by the wait: what closes them is the gate. */
const LOGIN_WAIT_MS = 60_000;
/** The wait of the region that shows a silent connection cut. */
const SHORT_WAIT_MS = 300;
const FLOOD = 50;
let fixture: TlsRegion;
let region: RegionServer;
let caller: TlsIdentity;
let port: number;
/** Every socket a test opened: closed at its end, whatever happened. */
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
  await fixture?.stop();
});

/** Closes what the test opened and waits until the region counts nothing waiting: each test starts from an empty gate. */
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy();
  while (region.waitingConnections() > 0) await region.connectionLeft();
});

/** Sockets and the ones among them that have closed; `closed(n)` resolves once n have. */
class Sockets {
  readonly all: net.Socket[] = [];
  private readonly closedOnes = new Set<net.Socket>();
  private readonly events = new EventEmitter();

  add(socket: net.Socket): void {
    opened.push(socket);
    this.all.push(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.closedOnes.add(socket);
      this.events.emit('closed');
    });
  }

  get closedCount(): number {
    return this.closedOnes.size;
  }

  async closed(count: number): Promise<void> {
    while (this.closedOnes.size < count) await once(this.events, 'closed');
  }
}

/** TCP connections from `localAddress` that send nothing, added to `sockets`; resolves once each is connected. */
async function silentConnections(sockets: Sockets, localAddress: string, count: number, to = port): Promise<void> {
  // One after another: the region takes them in this order (the tests count on it).
  for (let i = 0; i < count; i += 1) {
    const socket = net.connect({ host: '127.0.0.1', port: to, localAddress });
    sockets.add(socket);
    await once(socket, 'connect');
  }
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

describe('a region flooded with connections that never log in', () => {
  it("keeps only its per-host bound of one host's silent connections, closes the rest at once, and serves every other host", { timeout: WAIT_MS }, async () => {
    const flood = new Sockets();
    await silentConnections(flood, '127.0.0.2', FLOOD);
    await flood.closed(FLOOD - PER_HOST_MAX);
    assert.equal(region.waitingConnections('127.0.0.2'), PER_HOST_MAX);
    assert.equal(flood.closedCount, FLOOD - PER_HOST_MAX, 'exactly the per-host bound stays open');

    const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
    try {
      const result = await client.execute('select v from kv where id = 1;');
      assert.equal(result.rows[0]?.[0], 'one');
    } finally {
      client.close();
    }
    assert.equal((await handshake('127.0.0.2')).ok, false, 'the flooding host gets no more room, even with a certificate');
  });

  it(
    'when hosts flooding together fill the total, a newcomer takes the place of the biggest one, and a flooder cannot take back more than its share',
    { timeout: WAIT_MS },
    async () => {
      const two = new Sockets();
      const three = new Sockets();
      await silentConnections(two, '127.0.0.2', PER_HOST_MAX);
      // 4 fill the total; 2 more each close one of .2's (8, then 7, held against .3's 4, then 5); the last 2 are refused.
      await silentConnections(three, '127.0.0.3', PER_HOST_MAX);
      await Promise.all([two.closed(2), three.closed(2)]);
      assert.deepEqual([region.waitingConnections('127.0.0.2'), region.waitingConnections('127.0.0.3'), region.waitingConnections()], [6, 6, TOTAL_MAX]);
      assert.equal((await handshake('127.0.0.4')).ok, true, 'a third host is served while the two fill the total');
    },
  );

  it('gives the room back when the waiting connections go', { timeout: WAIT_MS }, async () => {
    const flood = new Sockets();
    await silentConnections(flood, '127.0.0.2', PER_HOST_MAX);
    for (const socket of flood.all) socket.destroy();
    while (region.waitingConnections() > 0) await region.connectionLeft();
    assert.equal((await handshake('127.0.0.2')).ok, true, 'the flooding host is served once its connections are gone');
  });

  it('stops counting a statement connection once it has sent its login, and keeps it open', { timeout: WAIT_MS }, async () => {
    const codec = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;
    const loggedIn = new Sockets();
    for (let i = 0; i < PER_HOST_MAX + 2; i += 1) {
      const { ok, socket } = await handshake('127.0.0.4', STATEMENT_ALPN);
      assert.ok(ok, `statement connection ${i}`);
      loggedIn.add(socket);
      socket.write(frame(codec.requestSerialize({ requests: [], login: { user: '', password: '' } })));
      while (region.waitingConnections('127.0.0.4') > 0) await region.connectionLeft();
    }
    assert.equal(loggedIn.closedCount, 0, `${PER_HOST_MAX + 2} logged-in connections from one host, all open`);
  });

  it('cuts a connection that does not finish its handshake within the wait, and stops counting it', { timeout: WAIT_MS }, async () => {
    const short = await startTlsRegion('connection-gate-wait', { loginWaitMs: SHORT_WAIT_MS });
    try {
      const silent = new Sockets();
      await silentConnections(silent, '127.0.0.5', 3, short.port);
      await silent.closed(3);
      while (short.region.waitingConnections() > 0) await short.region.connectionLeft();
    } finally {
      await short.stop();
    }
  });
});
