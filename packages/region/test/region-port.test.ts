/**
 * The region's port with TLS on: gRPC and the statement protocol on one port, chosen by
 * ALPN, with real certificates, a real region server and real sockets. What a connection
 * of the statement protocol may not do (come without a login, send a frame that cannot be
 * read, announce one past its bound, present another cluster's certificate) closes that
 * connection only.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  loadProtos,
  loadTlsIdentity,
  makeCertificates,
  serverCredentials,
  type ExecuteFrame,
  type ExecuteResultFrame__Output,
  type TlsIdentity,
} from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import {
  errorFromGrpcStatus,
  frame,
  FrameReader,
  LOGIN_FRAME_BYTES_MAX,
  MESSAGE_BYTES_MAX,
  openStatementSocket,
  regionStub,
  STATEMENT_ALPN,
  STATEMENT_SOCKET_ENV,
  type GrpcFailure,
} from '@minisql/wire';
import type { RegionServer } from '../src/region-server.js';
import { startTlsRegion, type TlsRegion } from './support/tls-region.js';

const LOGIN_WAIT_MS = 400;
/** The value whose answers fill the socket buffers between a region and a client that does not read. */
const BIG_VALUE_BYTES = 32 * 1024;
let fixture: TlsRegion;
let region: RegionServer;
/** A region's certificate: a server caller, which runs statements without a user. */
let caller: TlsIdentity;
/** A certificate of another cluster under the same name. */
let stranger: TlsIdentity;
const codec = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;

before(async () => {
  fixture = await startTlsRegion('region-port', { loginWaitMs: LOGIN_WAIT_MS });
  ({ region, caller } = fixture);
  makeCertificates(join(fixture.work, 'other-certs'), [{ name: 'region1', roles: ['region'], ips: ['127.0.0.1'], dnsNames: [] }]);
  stranger = { ...loadTlsIdentity(join(fixture.work, 'other-certs'), 'region1'), ca: caller.ca };
  await fixture.run(
    'create table kv (id int primary key, v text);',
    "insert into kv values (1, 'one');",
    'create table big (id int primary key, v text);',
    { sql: 'insert into big values (1, ?);', params: ['x'.repeat(BIG_VALUE_BYTES)] },
    'create table marks (k int primary key);',
  );
});

after(async () => {
  await fixture?.stop();
});

/** A raw connection asking for the statement protocol, once its handshake is done; it records what it is sent. */
async function statementConnection(identity = caller): Promise<{ socket: TLSSocket; answers: ExecuteResultFrame__Output[]; closed: Promise<void> }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: Number(region.address.split(':')[1]), ...identity, ALPNProtocols: [STATEMENT_ALPN] });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => undefined);
  const answers: ExecuteResultFrame__Output[] = [];
  const reader = new FrameReader(
    (bytes) => answers.push(codec.responseDeserialize(bytes)),
    () => assert.fail('the region sent a frame past the bound'),
    MESSAGE_BYTES_MAX,
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  await once(socket, 'secureConnect');
  return { socket, answers, closed };
}

const encoded = (message: ExecuteFrame): Buffer => frame(codec.requestSerialize(message));
const select = (sequence: number): ExecuteFrame => ({ requests: [{ sql: 'select v from kv where id = 1', sequence }] });
const valuesOf = (answers: ExecuteResultFrame__Output[]) => answers.flatMap((a) => a.responses.map((r) => [r.sequence, r.result?.rows[0]?.values[0]?.text]));

/** Waits until `answers` holds `count` answers (the socket's events add them). */
async function answered(connection: { socket: TLSSocket; answers: ExecuteResultFrame__Output[] }, count: number): Promise<void> {
  while (connection.answers.flatMap((a) => a.responses).length < count) await once(connection.socket, 'data');
}

/** Frames a client that does not read its answers sends: each a select of the big row, then an insert of a mark. */
const UNREAD_FRAMES = 1_500;

/**
 * Sends UNREAD_FRAMES frames through `send` while its client reads nothing, and checks
 * that the region ran only some (the marks inserted), then that once `read` has read
 * every answer, every statement ran once. Marks are `offset` + 0 .. UNREAD_FRAMES - 1.
 */
async function unreadClient(offset: number, send: (message: ExecuteFrame) => unknown, read: () => Promise<number[]>): Promise<void> {
  for (let k = 0; k < UNREAD_FRAMES; k += 1) {
    send({
      requests: [
        { sql: 'select v from big where id = 1', sequence: 2 * k + 1 },
        { sql: `insert into marks values (${offset + k})`, sequence: 2 * k + 2, request_id: `mark-${offset + k}` },
      ],
    });
  }
  const observer = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
  try {
    const marks = async () =>
      Number((await observer.execute('select count(*) from marks where k >= ? and k < ?;', { params: [offset, offset + UNREAD_FRAMES] })).rows[0]?.[0]);
    // Nothing announces that the region has stopped reading: the count is read until it
    // has held still for half a second (or every statement ran, which fails the test).
    let seen = -1;
    for (let polls = 0, still = 0; polls < 400 && still < 10 && seen < UNREAD_FRAMES; polls += 1) {
      const now = await marks();
      still = now === seen ? still + 1 : 0;
      seen = now;
      await delay(50);
    }
    assert.ok(seen > 0 && seen < UNREAD_FRAMES / 2, `${seen} of ${UNREAD_FRAMES} frames ran while the client read nothing`);
    const sequences = await read();
    assert.equal(await marks(), UNREAD_FRAMES);
    assert.equal(new Set(sequences).size, 2 * UNREAD_FRAMES, 'an answer came twice or not at all');
  } finally {
    observer.close();
  }
}

/** Each test's bound: a connection the region fails to close must fail its test, not hang the suite. */
const TEST_TIMEOUT_MS = 20_000;

describe("the region's port, TLS on", () => {
  it('answers statements on the statement protocol: a login frame with statements in it, then more frames', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    connection.socket.write(encoded({ login: { user: '', password: '' }, ...select(1) }));
    connection.socket.write(encoded(select(2)));
    await answered(connection, 2);
    assert.deepEqual(valuesOf(connection.answers).sort(), [
      [1, 'one'],
      [2, 'one'],
    ]);
    connection.socket.end();
    await connection.closed;
  });

  it('answers a statement whose frame arrives one byte at a time', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    connection.socket.setNoDelay(true);
    const bytes = Buffer.concat([encoded({ login: { user: '', password: '' }, requests: [], cancel: [] }), encoded(select(7))]);
    for (let at = 0; at < bytes.length; at += 1) connection.socket.write(bytes.subarray(at, at + 1));
    await answered(connection, 1);
    assert.deepEqual(valuesOf(connection.answers), [[7, 'one']]);
    connection.socket.destroy();
  });

  it(
    'serves gRPC on the same port: a client kept on the gRPC stream reads what a client on the statement protocol wrote',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const onStatements = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
      process.env[STATEMENT_SOCKET_ENV] = '0';
      const onGrpc = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller }).finally(() => delete process.env[STATEMENT_SOCKET_ENV]);
      try {
        await onStatements.execute("insert into kv values (2, 'two');");
        assert.deepEqual((await onGrpc.execute('select v from kv where id = 2;')).rows, [['two']]);
        await onGrpc.execute('delete from kv where id = 2;');
        assert.deepEqual((await onStatements.execute('select count(*) from kv;')).rows, [[1]]);
      } finally {
        onStatements.close();
        onGrpc.close();
      }
    },
  );

  it('runs only some statements of a client that does not read its answers, and answers every one once it reads', { timeout: 60_000 }, async () => {
    const connection = await statementConnection();
    connection.socket.pause();
    connection.socket.write(encoded({ login: { user: '', password: '' }, requests: [], cancel: [] }));
    try {
      await unreadClient(
        0,
        (message) => connection.socket.write(encoded(message)),
        async () => {
          connection.socket.resume();
          await answered(connection, 2 * UNREAD_FRAMES);
          return connection.answers.flatMap((a) => a.responses.map((r) => r.sequence));
        },
      );
    } finally {
      connection.socket.destroy();
    }
  });

  it('the same on the gRPC stream: a client that does not read its answers has only some of its statements run', { timeout: 60_000 }, async () => {
    const stub = regionStub(region.address, caller);
    const call = stub.ExecuteStream();
    const answers: ExecuteResultFrame__Output[] = [];
    call.on('data', (received: ExecuteResultFrame__Output) => answers.push(received));
    call.on('error', () => undefined);
    call.pause();
    try {
      await unreadClient(
        UNREAD_FRAMES,
        (message) => call.write(message),
        async () => {
          call.resume();
          while (answers.flatMap((a) => a.responses).length < 2 * UNREAD_FRAMES) await once(call, 'data');
          return answers.flatMap((a) => a.responses.map((r) => r.sequence));
        },
      );
    } finally {
      call.cancel();
      stub.close();
    }
  });

  it('answers every statement of a frame of more than 256 LIMIT_EXCEEDED, and runs none', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    const requests = Array.from({ length: 257 }, (_, k) => ({ sql: `insert into marks values (${-1 - k})`, sequence: k + 1, request_id: `many-${k}` }));
    connection.socket.write(encoded({ login: { user: '', password: '' }, requests, cancel: [] }));
    await answered(connection, 257);
    const codes = new Set(connection.answers.flatMap((a) => a.responses.map((r) => r.error?.code)));
    assert.deepEqual([...codes], ['LIMIT_EXCEEDED']);
    connection.socket.destroy();
    const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
    try {
      assert.deepEqual((await client.execute('select count(*) from marks where k < 0;')).rows, [[0]]);
    } finally {
      client.close();
    }
  });

  it(
    'a client does not send a frame past its bound: its stream fails as a gRPC message past the bound does (LIMIT_EXCEEDED)',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const call = openStatementSocket(region.address, caller, undefined, () => assert.fail('the region speaks the protocol'), 1_024);
      const failure = new Promise<GrpcFailure>((resolve) => call.on('error', resolve));
      call.write({ requests: [{ sql: `select '${'x'.repeat(2_048)}'`, sequence: 1 }] });
      const failed = await failure;
      assert.equal(failed.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(errorFromGrpcStatus(failed, region.address, 0).code, 'LIMIT_EXCEEDED');
    },
  );

  it('closes a connection that sends no login within the login wait', { timeout: TEST_TIMEOUT_MS }, async () => {
    const started = performance.now();
    const connection = await statementConnection();
    await connection.closed;
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= LOGIN_WAIT_MS * 0.9 && waitedMs < LOGIN_WAIT_MS + 5_000, `closed after ${Math.round(waitedMs)} ms`);
    assert.deepEqual(connection.answers, []);
  });

  it('closes a connection whose first frame is not an ExecuteFrame, and answers nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    // Field 1, length-delimited, with a length that runs past the frame.
    connection.socket.write(frame(Buffer.from([0x0a, 0x7f, 0x01])));
    connection.socket.write(encoded(select(1)));
    await connection.closed;
    assert.deepEqual(connection.answers, []);
  });

  it('closes a connection that announces a frame past its bound, without waiting for its bytes, and serves on', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    connection.socket.write(encoded({ login: { user: '', password: '' }, requests: [], cancel: [] }));
    const announced = Buffer.alloc(4);
    announced.writeUInt32BE(0xffff_ffff, 0);
    connection.socket.write(announced);
    await connection.closed;
    const next = await statementConnection();
    next.socket.write(encoded({ login: { user: '', password: '' }, ...select(3) }));
    await answered(next, 1);
    assert.deepEqual(valuesOf(next.answers), [[3, 'one']]);
    next.socket.destroy();
  });

  it('closes a connection whose first frame is past the login bound, and runs nothing of it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    const padded = { sql: `select length('${'p'.repeat(LOGIN_FRAME_BYTES_MAX)}')`, sequence: 9 };
    connection.socket.write(encoded({ login: { user: '', password: '' }, requests: [padded], cancel: [] }));
    // Either the region closes the connection, or it answers the statement (the bound not kept).
    await Promise.race([connection.closed, answered(connection, 1)]);
    assert.deepEqual(connection.answers, []);
    await connection.closed;
  });

  it('takes frames far past the login bound once the login has come, in the same chunk as the login', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connection = await statementConnection();
    const wide = { requests: [{ sql: `select length('${'w'.repeat(4 * LOGIN_FRAME_BYTES_MAX)}')`, sequence: 5 }] };
    connection.socket.write(Buffer.concat([encoded({ login: { user: '', password: '' }, requests: [], cancel: [] }), encoded(wide)]));
    await answered(connection, 1);
    assert.equal(connection.answers[0]?.responses[0]?.result?.rows[0]?.values[0]?.int, 4 * LOGIN_FRAME_BYTES_MAX);
    connection.socket.destroy();
  });

  it('a client does not send a login past the login bound: its stream fails UNAUTHENTICATED, naming the bound', { timeout: TEST_TIMEOUT_MS }, async () => {
    const call = openStatementSocket(
      region.address,
      caller,
      { user: 'someone', password: 'p'.repeat(LOGIN_FRAME_BYTES_MAX) },
      () => assert.fail('the region speaks the protocol'),
      MESSAGE_BYTES_MAX,
    );
    const failed = await new Promise<GrpcFailure>((resolve) => call.on('error', resolve));
    assert.equal(failed.code, grpc.status.UNAUTHENTICATED);
    assert.match(failed.details ?? '', new RegExp(`past the bound of ${LOGIN_FRAME_BYTES_MAX}`));
  });

  it('closes a connection that asks for no protocol, and a peer that resets it at once does not stop the region', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const socket = tlsConnect({ host: '127.0.0.1', port: Number(region.address.split(':')[1]), ...caller });
      socket.on('error', () => undefined);
      await once(socket, 'secureConnect');
      socket.destroy();
      await once(socket, 'close');
    }
    const asksNothing = tlsConnect({ host: '127.0.0.1', port: Number(region.address.split(':')[1]), ...caller });
    asksNothing.on('error', () => undefined);
    const answered: Buffer[] = [];
    asksNothing.on('data', (chunk: Buffer) => answered.push(chunk));
    await once(asksNothing, 'close');
    assert.deepEqual(answered, [], 'a connection without a protocol was answered');
    const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
    try {
      assert.deepEqual((await client.execute('select v from kv where id = 1;')).rows, [['one']]);
    } finally {
      client.close();
    }
  });

  it("refuses another cluster's certificate under the same name: the connection ends and nothing is answered", { timeout: TEST_TIMEOUT_MS }, async () => {
    const outcome = await statementConnection(stranger).then(
      async (connection) => {
        // TLS 1.3: the client may finish its side of the handshake before the region refuses.
        connection.socket.write(encoded({ login: { user: '', password: '' }, ...select(1) }));
        await connection.closed;
        return connection.answers;
      },
      () => [],
    );
    assert.deepEqual(outcome, []);
  });
});

describe('a region that does not offer the statement protocol', () => {
  it('refuses it in the TLS handshake, and the client sends its statements on the gRPC stream instead', { timeout: TEST_TIMEOUT_MS }, async () => {
    // A gRPC server with its own TLS, as a region of an earlier version: it knows only h2.
    const server = new grpc.Server();
    const seen: string[] = [];
    server.addService(loadProtos().region.minisql.v1.RegionService.service, {
      Ping: (_call: unknown, done: (error: null, answer: object) => void) => done(null, {}),
      ExecuteStream: (call: grpc.ServerDuplexStream<{ requests: { sql: string; sequence: number }[] }, object>) => {
        call.on('data', (received: { requests: { sql: string; sequence: number }[] }) => {
          for (const request of received.requests) seen.push(request.sql);
          call.write({ responses: received.requests.map((r) => ({ sequence: r.sequence, result: { columns: [], rows: [] } })) });
        });
        call.on('end', () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', serverCredentials(caller), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const client = await MiniSqlClient.connect({ regionAddress: `127.0.0.1:${port}`, tls: caller });
    try {
      // The statements written while the handshake was refused go on the gRPC stream: none fails.
      await Promise.all([client.execute('select 1;'), client.execute('select 2;')]);
      await client.execute('select 3;');
      assert.deepEqual(seen.sort(), ['select 1;', 'select 2;', 'select 3;']);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
