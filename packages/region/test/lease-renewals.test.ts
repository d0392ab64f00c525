import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import { renewOnOneStream, type RenewalPorts, type RenewalStream } from '../src/lease-renewals.js';

/** A stream whose answers the test gives: what was written, whether it was ended. */
class ScriptedStream extends EventEmitter implements RenewalStream {
  readonly written: Array<{ ID: string }> = [];
  ended = false;
  cancelled = false;
  write(request: { ID: string }): boolean {
    this.written.push(request);
    this.emit('written');
    return true;
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    this.cancelled = true;
  }
  answer(ttlSeconds: number): void {
    this.emit('data', { TTL: String(ttlSeconds) });
  }
}

/** Ports over scripted streams; `renewals` and `expirations` record what the clock was told. */
function scripted(): {
  ports: RenewalPorts;
  streams: ScriptedStream[];
  renewals: Array<{ sentAtMs: number; ttlSeconds: number }>;
  expirations: number[];
  opened: EventEmitter;
  setWanted(wanted: boolean): void;
} {
  const streams: ScriptedStream[] = [];
  const renewals: Array<{ sentAtMs: number; ttlSeconds: number }> = [];
  const expirations: number[] = [];
  const opened = new EventEmitter();
  let wanted = true;
  let clockMs = 1_000;
  const ports: RenewalPorts = {
    open: () => {
      const stream = new ScriptedStream();
      streams.push(stream);
      queueMicrotask(() => opened.emit('stream', stream));
      return Promise.resolve(stream);
    },
    leaseId: '7587',
    nowMs: () => (clockMs += 10),
    renewed: (sentAtMs, ttlSeconds) => renewals.push({ sentAtMs, ttlSeconds }),
    expired: () => expirations.push(clockMs),
    wanted: () => wanted,
  };
  return { ports, streams, renewals, expirations, opened, setWanted: (value) => (wanted = value) };
}

/**
 * The renewals' interval does not keep a process up (a region has its server for that):
 * a test holds its own timer while it waits for the next renewal.
 */
function holdProcess(): () => void {
  const timer = setInterval(() => undefined, 1_000);
  return () => clearInterval(timer);
}

type Scripted = ReturnType<typeof scripted>;

/**
 * Runs `body` while renewals go every 5 ms, a renewal waiting `answerWaitMs` for its
 * answer, once the first stream is open and its first renewal written; then stops them.
 */
async function whileRenewing(answerWaitMs: number, body: (s: Scripted, first: ScriptedStream) => Promise<void>): Promise<Scripted> {
  const s = scripted();
  const release = holdProcess();
  const stop = renewOnOneStream(5, answerWaitMs, s.ports);
  try {
    const [first] = (await once(s.opened, 'stream')) as [ScriptedStream];
    if (first.written.length === 0) await once(first, 'written');
    await body(s, first);
  } finally {
    stop();
    release();
  }
  return s;
}

/** Eight renewal intervals: long enough for a renewal that should not be sent to show. */
const intervalsPass = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 40));

describe('fast lease renewals on one stream', { timeout: 10_000 }, () => {
  it('send one renewal at a time on one stream, and tell the clock when each answered one was sent', async () => {
    const s = await whileRenewing(10_000, async (s, stream) => {
      await intervalsPass();
      assert.deepEqual(stream.written, [{ ID: '7587' }], 'nothing more while the first renewal waits');
      stream.answer(2);
      await once(stream, 'written');
      stream.answer(2);
      await once(stream, 'written');
      assert.equal(s.streams.length, 1, 'every renewal went on the one stream');
      assert.deepEqual(
        s.renewals.map((r) => r.ttlSeconds),
        [2, 2],
      );
      assert.ok((s.renewals[0]?.sentAtMs ?? 0) < (s.renewals[1]?.sentAtMs ?? 0), 'each answer is matched to the time its renewal was sent');
    });
    assert.equal(s.streams[0]?.ended, true, 'stopping ends the stream');
  });

  it('give up on a stream whose renewal is not answered in time, and renew on a new one', async () => {
    await whileRenewing(30, async (s, first) => {
      const [second] = (await once(s.opened, 'stream')) as [ScriptedStream];
      assert.equal(first.ended, true, 'the silent stream was half-closed');
      assert.equal(first.cancelled, true, 'and cancelled: a member that hangs would never close its side');
      if (second.written.length === 0) await once(second, 'written');
      first.answer(2);
      assert.equal(s.renewals.length, 0, 'a late answer on the old stream renews nothing');
      second.answer(2);
      assert.equal(s.renewals.length, 1);
    });
  });

  it('report an answer of TTL 0 (etcd no longer knows the lease) instead of renewing, and send no more', async () => {
    await whileRenewing(10_000, async (s, stream) => {
      stream.answer(0);
      assert.equal(s.expirations.length, 1);
      assert.equal(s.renewals.length, 0);
      await intervalsPass();
      assert.equal(stream.written.length, 1);
    });
  });

  it('send nothing while the lease no longer owns the key, and renew nothing answered meanwhile', async () => {
    await whileRenewing(10_000, async (s, stream) => {
      s.setWanted(false);
      stream.answer(2);
      await intervalsPass();
      assert.equal(stream.written.length, 1);
      assert.equal(s.renewals.length, 0);
    });
  });

  it('open a new stream after the one it had broke', async () => {
    await whileRenewing(10_000, async (s, first) => {
      first.emit('error', new Error('the etcd member went away'));
      const [second] = (await once(s.opened, 'stream')) as [ScriptedStream];
      if (second.written.length === 0) await once(second, 'written');
      second.answer(2);
      assert.equal(s.renewals.length, 1);
    });
  });
});
