/**
 * The region's budget of answers waiting for their clients: the decision's scenarios,
 * then a real region with real certificates whose clients send many large selects in
 * one frame and read nothing, on the statement protocol and on the gRPC stream. Flow
 * control alone lets every statement already read run and keep its answer.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { loadProtos, Logger, type ExecuteFrame, type TlsIdentity } from '@minisql/common';
import { MiniSqlClient } from '@minisql/client';
import { frame, regionStub, STATEMENT_ALPN } from '@minisql/wire';
import { AnswerBudget, streamToCut } from '../src/answer-budget.js';
import type { RegionServer } from '../src/region-server.js';
import { startTlsRegion, type TlsRegion } from './support/tls-region.js';

describe('the answer budget decides', () => {
  /** The choice over streams holding `bytes` (their sum is the total), against a budget of `bytesMax`. */
  const cutOf = (bytes: Record<string, number>, bytesMax: number, newest?: { stream: string; bytes: number }) =>
    streamToCut(
      Object.entries(bytes),
      Object.values(bytes).reduce((sum, n) => sum + n, 0),
      bytesMax,
      newest,
    );

  it('cuts nothing within the budget, however the bytes are spread', () => {
    assert.equal(cutOf({ a: 40, b: 60 }, 100), undefined);
  });

  it('past the budget, cuts the stream holding the most, even when each alone is within it', () => {
    assert.equal(cutOf({ a: 40, b: 70, c: 0 }, 100), 'b');
  });

  it('does not count the frame just handed over: a client that reads is not cut for its own large answer', () => {
    // b's 70 are its newest frame, which no client could have read yet; a's 40 have waited.
    assert.equal(cutOf({ a: 40, b: 70 }, 100, { stream: 'b', bytes: 70 }), 'a');
    // One large answer alone past the budget, nothing else waiting: nobody is cut.
    assert.equal(cutOf({ r: 120 }, 100, { stream: 'r', bytes: 120 }), undefined);
  });

  it('cuts one stream per excess, and no longer counts what a cut or closed stream held', () => {
    const budget = new AnswerBudget(120);
    const cut: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    budget.open(a, () => cut.push('a') > 0);
    budget.open(b, () => cut.push('b') > 0);
    budget.open(c, () => cut.push('c') > 0);
    budget.add(a, 60);
    budget.add(b, 30);
    budget.take(a, 20);
    budget.add(c, 35);
    assert.deepEqual(cut, [], '125 handed, 20 taken: 105 waiting');
    budget.add(c, 30);
    assert.deepEqual(cut, ['a'], "past the budget on c's new frame: a has waited 40, b 30, c 35");
    assert.equal(budget.bytesWaiting, 95);
    budget.add(a, 1_000);
    budget.take(a, 10);
    assert.equal(budget.bytesWaiting, 95, 'a cut stream counts nothing more');
    budget.close(b);
    assert.equal(budget.bytesWaiting, 65);
  });

  it('keeps counting a stream whose connection could not be found, and does not choose it again', () => {
    const budget = new AnswerBudget(100);
    const tried: string[] = [];
    const [lost, other] = [{}, {}];
    budget.open(lost, () => (tried.push('lost'), false));
    budget.open(other, () => (tried.push('other'), true));
    budget.add(lost, 90);
    budget.add(other, 20);
    assert.deepEqual(tried, ['lost']);
    assert.equal(budget.bytesWaiting, 110);
    budget.add(other, 20);
    assert.deepEqual(tried, ['lost', 'other']);
    assert.equal(budget.bytesWaiting, 90);
  });
});

const ROW_BYTES = 256 * 1024;
/** Far past what the kernel's socket buffers take for a client that does not read (a few MiB on loopback). */
const SELECTS = 200;
const BUDGET_BYTES = 4 * 1024 * 1024;
const TEST_TIMEOUT_MS = 30_000;
/** The region's log: a cut is logged, naming the peer, and the tests wait for that line. */
const cutsLogged: Array<(peer: string) => void> = [];
const log = new Logger('test', 'region', 'warn', {
  write: (line: string) => {
    const entry = JSON.parse(line) as { message: string; peer?: string };
    if (entry.message.includes('answers waited past the budget')) cutsLogged.shift()?.(entry.peer ?? '');
  },
});
/** Resolves at the region's next cut, with the peer it closed. */
const nextCut = (): Promise<string> => new Promise((resolve) => cutsLogged.push(resolve));
const codec = loadProtos().region.minisql.v1.RegionService.service.ExecuteStream;
let fixture: TlsRegion;
let region: RegionServer;
let caller: TlsIdentity;

before(async () => {
  fixture = await startTlsRegion('answer-budget', { answerBytesWaitingMax: BUDGET_BYTES }, log);
  ({ region, caller } = fixture);
  await fixture.run('create table big (id int primary key, v text);', { sql: 'insert into big values (1, ?);', params: ['x'.repeat(ROW_BYTES)] });
});

after(async () => {
  await fixture?.stop();
});

/** One frame of SELECTS selects of the big row. */
const bigSelects = (): ExecuteFrame => ({
  requests: Array.from({ length: SELECTS }, (_, i) => ({ sql: 'select v from big where id = 1', sequence: i + 1 })),
});

/** How a gRPC call ended (events.once would reject on its 'error', which comes first). */
function statusOf(call: NodeJS.EventEmitter): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => call.once('status', resolve));
}

/** A client that reads its answers gets the big row `times` times, one after another, while others are cut. */
async function readsTheBigRow(times = 1): Promise<void> {
  const reader = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
  try {
    for (let i = 0; i < times; i += 1) {
      const result = await reader.execute('select v from big where id = 1;');
      assert.equal(String(result.rows[0]?.[0]).length, ROW_BYTES);
    }
  } finally {
    reader.close();
  }
}

/** A statement connection that logs in, sends `frames` and reads nothing; `closed` resolves once the region has closed it (its socket resumed then). */
async function nonReader(frames: ExecuteFrame[]): Promise<{ peer: string; received: () => number; closed: () => Promise<void> }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: Number(region.address.split(':')[1]), ...caller, ALPNProtocols: [STATEMENT_ALPN] });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close');
  let received = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  await once(socket, 'secureConnect');
  socket.pause();
  socket.write(frame(codec.requestSerialize({ login: { user: '', password: '' }, requests: [] })));
  for (const message of frames) socket.write(frame(codec.requestSerialize(message)));
  return {
    peer: `127.0.0.1:${socket.localPort}`,
    received: () => received,
    // A paused socket shows its close once what it holds is read.
    closed: async () => {
      socket.resume();
      await closed;
    },
  };
}

describe('a region whose clients do not read their answers', () => {
  it('cuts a statement connection whose unread answers pass the budget, and serves a client that reads', { timeout: TEST_TIMEOUT_MS }, async () => {
    const cut = nextCut();
    const attacker = await nonReader([bigSelects()]);
    assert.equal(await cut, attacker.peer, 'the connection cut is the one that does not read');
    await attacker.closed();
    assert.ok(attacker.received() < (SELECTS * ROW_BYTES) / 2, `${attacker.received()} bytes of answers reached the client`);
    await readsTheBigRow();
  });

  it('does not cut a client that reads large answers while one that does not read is cut', { timeout: TEST_TIMEOUT_MS }, async () => {
    const cut = nextCut();
    const [attacker] = await Promise.all([nonReader([bigSelects()]), readsTheBigRow(40)]);
    assert.equal(await cut, attacker.peer);
    await attacker.closed();
  });

  it('cuts a gRPC stream whose unread answers pass the budget: the call ends UNAVAILABLE', { timeout: TEST_TIMEOUT_MS }, async () => {
    const call = regionStub(region.address, caller).ExecuteStream();
    call.on('error', () => undefined);
    call.pause();
    const status = statusOf(call);
    const cut = nextCut();
    call.write(bigSelects());
    await cut;
    const ended = await status;
    assert.equal(ended.code, 14, `UNAVAILABLE, not ${ended.code} ${ended.details}`);
    await readsTheBigRow();
  });

  it('cuts each of several such clients on the gRPC stream', { timeout: TEST_TIMEOUT_MS }, async () => {
    const clients = Array.from({ length: 3 }, () => {
      const call = regionStub(region.address, caller, { 'grpc.use_local_subchannel_pool': 1 }).ExecuteStream();
      call.on('error', () => undefined);
      call.pause();
      return { call, status: statusOf(call) };
    });
    const cuts = [nextCut(), nextCut(), nextCut()];
    for (const { call } of clients) call.write(bigSelects());
    // Each holds far more than the budget alone: every one is cut, on its own connection.
    assert.equal(new Set(await Promise.all(cuts)).size, 3, 'three connections cut');
    for (const { status } of clients) assert.equal((await status).code, 14);
    await readsTheBigRow();
  });
});
