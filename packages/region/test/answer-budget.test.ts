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
  it('cuts nothing within the budget, however the bytes are spread', () => {
    assert.equal(
      streamToCut(
        new Map([
          ['a', 40],
          ['b', 60],
        ]),
        100,
        100,
      ),
      undefined,
    );
  });

  it('past the budget, cuts the stream holding the most, even when each alone is within it', () => {
    assert.equal(
      streamToCut(
        new Map([
          ['a', 40],
          ['b', 70],
          ['c', 0],
        ]),
        110,
        100,
      ),
      'b',
    );
  });

  it('cuts one stream per excess, and no longer counts what a cut or closed stream held', () => {
    const budget = new AnswerBudget(120);
    const cut: string[] = [];
    const [a, b, c] = [{}, {}, {}];
    budget.open(a, () => cut.push('a'));
    budget.open(b, () => cut.push('b'));
    budget.open(c, () => cut.push('c'));
    budget.add(a, 60);
    budget.add(b, 30);
    budget.take(a, 20);
    budget.add(c, 35);
    assert.deepEqual(cut, [], '125 handed, 20 taken: 105 waiting');
    budget.add(b, 30);
    assert.deepEqual(cut, ['b'], 'b held 60 of 135');
    assert.equal(budget.bytesWaiting, 75);
    budget.add(b, 1_000);
    budget.take(b, 10);
    assert.equal(budget.bytesWaiting, 75, 'a cut stream counts nothing more');
    budget.close(a);
    assert.equal(budget.bytesWaiting, 35);
  });
});

const ROW_BYTES = 256 * 1024;
/** Far past what the kernel's socket buffers take for a client that does not read (a few MiB on loopback). */
const SELECTS = 200;
const BUDGET_BYTES = 4 * 1024 * 1024;
const TEST_TIMEOUT_MS = 30_000;
/** The region's log: a cut is logged, and the tests wait for that line. */
const cutsLogged: Array<() => void> = [];
const log = new Logger('test', 'region', 'warn', {
  write: (line: string) => {
    if (line.includes('answers waited past the budget')) cutsLogged.shift()?.();
    return true;
  },
});
/** Resolves at the region's next cut. */
const nextCut = (): Promise<void> => new Promise((resolve) => cutsLogged.push(resolve));
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

/** A client that reads its answers gets the big row while others are cut. */
async function readsTheBigRow(): Promise<void> {
  const reader = await MiniSqlClient.connect({ regionAddress: region.address, tls: caller });
  try {
    const result = await reader.execute('select v from big where id = 1;');
    assert.equal(String(result.rows[0]?.[0]).length, ROW_BYTES);
  } finally {
    reader.close();
  }
}

describe('a region whose clients do not read their answers', () => {
  it('cuts a statement connection whose unread answers pass the budget, and serves a client that reads', { timeout: TEST_TIMEOUT_MS }, async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: Number(region.address.split(':')[1]), ...caller, ALPNProtocols: [STATEMENT_ALPN] });
    socket.on('error', () => undefined);
    const closed = once(socket, 'close');
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await once(socket, 'secureConnect');
    socket.pause();
    const cut = nextCut();
    socket.write(frame(codec.requestSerialize({ login: { user: '', password: '' }, ...bigSelects() })));
    await cut;
    assert.ok(region.answerBytesWaiting <= BUDGET_BYTES, `${region.answerBytesWaiting} bytes still waiting`);
    // A paused socket shows its close once what it holds is read: far less than every answer.
    socket.resume();
    await closed;
    assert.ok(received < (SELECTS * ROW_BYTES) / 2, `${received} bytes of answers reached the client`);
    await readsTheBigRow();
  });

  it('cuts a gRPC stream whose unread answers pass the budget: the call ends UNAVAILABLE', { timeout: TEST_TIMEOUT_MS }, async () => {
    const call = regionStub(region.address, caller).ExecuteStream();
    call.on('error', () => undefined);
    call.pause();
    const status = statusOf(call);
    call.write(bigSelects());
    const ended = await status;
    assert.equal(ended.code, 14, `UNAVAILABLE, not ${ended.code} ${ended.details}`);
    assert.ok(region.answerBytesWaiting <= BUDGET_BYTES, `${region.answerBytesWaiting} bytes still waiting`);
    await readsTheBigRow();
  });

  it('cuts each of several such clients on the gRPC stream, and holds no more than its budget after', { timeout: TEST_TIMEOUT_MS }, async () => {
    const clients = Array.from({ length: 3 }, () => {
      const call = regionStub(region.address, caller).ExecuteStream();
      call.on('error', () => undefined);
      call.pause();
      return { call, status: statusOf(call) };
    });
    for (const { call } of clients) call.write(bigSelects());
    // Each holds far more than the budget alone: every one is cut in turn.
    for (const { status } of clients) await status;
    assert.ok(region.answerBytesWaiting <= BUDGET_BYTES, `${region.answerBytesWaiting} bytes still waiting`);
    await readsTheBigRow();
  });
});
