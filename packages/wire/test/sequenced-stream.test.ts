import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { MiniSqlError } from '@minisql/common';
import { SequencedStream, type DuplexCall } from '../src/sequenced-stream.js';

interface Request {
  text: string;
  sequence?: number;
}
interface Response {
  text: string;
  sequence: number;
}

/** A stand-in for a gRPC duplex call: records what was written, answers when told. */
class FakeCall extends EventEmitter {
  readonly written: Request[] = [];
  cancelled = false;
  write(request: Request): boolean {
    this.written.push(request);
    return true;
  }
  cancel(): void {
    this.cancelled = true;
    queueMicrotask(() => this.emit('error', Object.assign(new Error('cancelled'), { code: status.CANCELLED, details: 'Cancelled on client' })));
  }
  answer(sequence: number, text = `answer ${sequence}`): void {
    this.emit('data', { text, sequence });
  }
}

function streamOver(timeoutBreaksStream: boolean, options: { openFails?: () => boolean } = {}) {
  const calls: FakeCall[] = [];
  const stream = new SequencedStream<Request, Response>({
    address: 'peer:1',
    open: () => {
      if (options.openFails?.()) throw new Error('Channel has been shut down');
      const call = new FakeCall();
      calls.push(call);
      return call;
    },
    timeoutBreaksStream,
  });
  return { stream, calls };
}

const failureOf = (promise: Promise<unknown>): Promise<MiniSqlError> =>
  promise.then(
    () => assert.fail('resolved'),
    (error: MiniSqlError) => error,
  );

describe('requests on one stream', () => {
  it('numbers requests in the order they are sent and matches answers that come in any order', async () => {
    const { stream, calls } = streamOver(false);
    const first = stream.request({ text: 'a' }, 1_000);
    const second = stream.request({ text: 'b' }, 1_000);
    assert.equal(calls.length, 1, 'a second stream was opened');
    assert.deepEqual(calls[0]!.written, [
      { text: 'a', sequence: 1 },
      { text: 'b', sequence: 2 },
    ]);
    calls[0]!.answer(2);
    calls[0]!.answer(1);
    assert.equal((await first).text, 'answer 1');
    assert.equal((await second).text, 'answer 2');
  });

  it('a request not answered in time fails alone when requests are independent', async () => {
    const { stream, calls } = streamOver(false);
    const slow = stream.request({ text: 'slow' }, 5);
    const other = stream.request({ text: 'other' }, 1_000);
    assert.equal((await failureOf(slow)).code, 'TIMEOUT');
    calls[0]!.answer(1, 'too late'); // ignored
    calls[0]!.answer(2);
    assert.equal((await other).text, 'answer 2');
    assert.equal(calls[0]!.cancelled, false);
  });

  it('requests fail each at its own deadline, whatever the order they were sent in, and the others are answered', { timeout: 10_000 }, async () => {
    const { stream, calls } = streamOver(false);
    const started = performance.now();
    const long = stream.request({ text: 'long' }, 150);
    const short = stream.request({ text: 'short' }, 20);
    const answered = stream.request({ text: 'answered' }, 5_000);
    assert.equal((await failureOf(short)).code, 'TIMEOUT');
    const shortMs = performance.now() - started;
    assert.ok(shortMs >= 19 && shortMs < 140, `the 20 ms request failed after ${shortMs.toFixed(0)} ms`);
    assert.equal((await failureOf(long)).code, 'TIMEOUT');
    const longMs = performance.now() - started;
    assert.ok(longMs >= 149, `the 150 ms request failed after ${longMs.toFixed(0)} ms`);
    calls[0]!.answer(3);
    assert.equal((await answered).text, 'answer 3');
  });

  it('keeps a timer only while requests wait: a stream with none leaves nothing to keep the process up', { timeout: 10_000 }, async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const { stream, calls } = streamOver(false);
    const first = stream.request({ text: 'a' }, 60_000);
    const second = stream.request({ text: 'b' }, 60_000);
    assert.equal(timers(), before + 1, 'one timer for the requests waiting');
    calls[0]!.answer(1);
    assert.equal(timers(), before + 1, 'a request still waits');
    calls[0]!.answer(2);
    await Promise.all([first, second]);
    assert.equal(timers(), before, 'a timer stayed with nothing waiting');
  });

  it('a request not answered in time breaks the stream when requests depend on the ones before', async () => {
    const { stream, calls } = streamOver(true);
    const slow = stream.request({ text: 'slow' }, 5);
    const behind = stream.request({ text: 'behind' }, 1_000);
    assert.equal((await failureOf(slow)).code, 'TIMEOUT');
    assert.equal((await failureOf(behind)).code, 'TIMEOUT');
    assert.equal(calls[0]!.cancelled, true);
    const next = stream.request({ text: 'next' }, 1_000);
    assert.equal(calls.length, 2, 'the next request did not open a new stream');
    assert.deepEqual(calls[1]!.written, [{ text: 'next', sequence: 1 }]);
    calls[1]!.answer(1);
    assert.equal((await next).text, 'answer 1');
  });

  it("when requests depend on the ones before, each one's time counts from the answer before it: a slow peer working through a queue is not cut off", async () => {
    const { stream, calls } = streamOver(true);
    // Three requests of 100 ms each, sent at once; the peer takes 60 ms for each, in order.
    const requests = [stream.request({ text: 'a' }, 100), stream.request({ text: 'b' }, 100), stream.request({ text: 'c' }, 100)];
    for (const sequence of [1, 2, 3]) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      calls[0]!.answer(sequence);
    }
    assert.deepEqual(
      (await Promise.all(requests)).map((r) => r.text),
      ['answer 1', 'answer 2', 'answer 3'],
    );
    assert.equal(calls[0]!.cancelled, false, 'the stream was broken though every answer came within its own time');
    // A peer that stops answering is still found within one request's time.
    const started = performance.now();
    const stuck = [stream.request({ text: 'd' }, 100), stream.request({ text: 'e' }, 100)];
    assert.equal((await failureOf(stuck[0]!)).code, 'TIMEOUT');
    assert.equal((await failureOf(stuck[1]!)).code, 'TIMEOUT');
    assert.ok(performance.now() - started < 1_000);
  });

  it('a broken stream fails every request waiting on it as UNAVAILABLE, naming the peer', async () => {
    const { stream, calls } = streamOver(false);
    const waiting = [stream.request({ text: 'a' }, 1_000), stream.request({ text: 'b' }, 1_000)];
    calls[0]!.emit('error', Object.assign(new Error('gone'), { code: status.UNAVAILABLE, details: 'Connection dropped' }));
    for (const request of waiting) {
      const error = await failureOf(request);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.match(error.message, /peer:1/);
    }
    const next = stream.request({ text: 'c' }, 1_000);
    assert.equal(calls.length, 2, 'the next request did not open a new stream');
    stream.close();
    assert.match((await failureOf(next)).message, /closed by this process/);
  });

  it('a stream the peer ends fails what waits on it', async () => {
    const { stream, calls } = streamOver(false);
    const waiting = stream.request({ text: 'a' }, 1_000);
    calls[0]!.emit('end');
    assert.equal((await failureOf(waiting)).code, 'UNAVAILABLE');
  });

  it('a stream that cannot be opened (a channel already shut down) rejects as UNAVAILABLE, and the next request tries again', async () => {
    let shutDown = true;
    const { stream, calls } = streamOver(false, { openFails: () => shutDown });
    const refused = await failureOf(stream.request({ text: 'a' }, 1_000));
    assert.equal(refused.code, 'UNAVAILABLE');
    assert.match(refused.message, /Channel has been shut down/);
    shutDown = false;
    const next = stream.request({ text: 'b' }, 1_000);
    calls[0]!.answer(1);
    assert.equal((await next).text, 'answer 1');
  });

  it('a stream that refuses a write is broken: what waits on it fails as UNAVAILABLE and the next request opens a new stream', async () => {
    const { stream, calls } = streamOver(false);
    const first = stream.request({ text: 'first' }, 1_000);
    calls[0]!.write = () => {
      throw new Error('write after end');
    };
    const unsent = stream.request({ text: 'unsent' }, 1_000);
    for (const failed of [await failureOf(unsent), await failureOf(first)]) {
      assert.equal(failed.code, 'UNAVAILABLE');
      assert.match(failed.message, /write after end/);
    }
    const next = stream.request({ text: 'next' }, 1_000);
    assert.equal(calls.length, 2, 'the next request did not open a new stream');
    calls[1]!.answer(1);
    assert.equal((await next).text, 'answer 1');
  });
});

describe('requests in frames', () => {
  interface Frame {
    requests: Request[];
  }
  function framedStream() {
    const calls: FakeCall[] = [];
    const stream = new SequencedStream<Request, Response, Frame, { responses: Response[] }>({
      address: 'peer:1',
      open: () => {
        const call = new FakeCall();
        calls.push(call);
        // It records frames where a plain stream's requests go.
        return call as unknown as DuplexCall<Frame, { responses: Response[] }>;
      },
      timeoutBreaksStream: false,
      framing: { pack: (requests) => ({ requests }), unpack: (frame) => frame.responses, bytesOf: (request) => request.text.length },
    });
    return { stream, calls };
  }

  it('a lone request goes at once; the requests of one turn made while others are in flight go in one frame, and a frame of answers resolves each request', async () => {
    const { stream, calls } = framedStream();
    const lone = stream.request({ text: 'a' }, 1_000);
    assert.deepEqual(calls[0]!.written, [{ requests: [{ text: 'a', sequence: 1 }] }], 'a request with nothing in flight waited for the turn to end');
    const second = stream.request({ text: 'b' }, 1_000);
    const third = stream.request({ text: 'c' }, 1_000);
    assert.equal(calls[0]!.written.length, 1, 'a frame went out before the turn ended while requests were in flight');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls[0]!.written.slice(1), [
      {
        requests: [
          { text: 'b', sequence: 2 },
          { text: 'c', sequence: 3 },
        ],
      },
    ]);
    calls[0]!.emit('data', {
      responses: [
        { text: 'three', sequence: 3 },
        { text: 'one', sequence: 1 },
        { text: 'two', sequence: 2 },
      ],
    });
    assert.equal((await lone).text, 'one');
    assert.equal((await second).text, 'two');
    assert.equal((await third).text, 'three');
  });

  it('requests of a frame not yet sent when the stream breaks fail with the stream, and are never sent', async () => {
    const { stream, calls } = framedStream();
    const sent = stream.request({ text: 'a' }, 1_000);
    const pending = stream.request({ text: 'b' }, 1_000);
    calls[0]!.emit('error', Object.assign(new Error('gone'), { code: status.UNAVAILABLE, details: 'Connection dropped' }));
    assert.equal((await failureOf(sent)).code, 'UNAVAILABLE');
    assert.equal((await failureOf(pending)).code, 'UNAVAILABLE');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls[0]!.written, [{ requests: [{ text: 'a', sequence: 1 }] }], 'a request of a broken stream was written');
  });
});
