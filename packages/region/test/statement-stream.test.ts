/** RegionService.ExecuteStream on the wire: a real region process and a raw gRPC stream. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type ExecuteRequest, type ExecuteResponse__Output, type ExecuteResultFrame__Output, type RegionServiceClient } from '@minisql/common';
import { FRAME_LIMITS } from '@minisql/wire';
import { RegionFixture } from './support/region-fixture.js';

let region: RegionFixture;
let stub: RegionServiceClient;
before(async () => {
  region = await RegionFixture.start();
  await region.execute('create table streamed (id int primary key, v text);');
  stub = new (loadProtos().region.minisql.v1.RegionService)(region.address, grpc.credentials.createInsecure());
});
after(async () => {
  stub.close();
  await region.stop();
});

/** Request ids stay unique across tests: a region answers a known id from its log instead of running the statement. */
let requests = 0;
const statement = (sequence: number, sql: string): ExecuteRequest => ({ sql, params: [], request_id: `stream-${(requests += 1)}`, sequence });

/**
 * Sends the statements on one stream, `perFrame` to a frame, half-closes it, and collects
 * the answers, the frames they came in and the final status.
 */
async function exchange(
  statements: ExecuteRequest[],
  perFrame = statements.length,
): Promise<{ answers: ExecuteResponse__Output[]; frames: ExecuteResultFrame__Output[]; status: grpc.StatusObject }> {
  const call = stub.ExecuteStream();
  const frames: ExecuteResultFrame__Output[] = [];
  call.on('data', (frame: ExecuteResultFrame__Output) => frames.push(frame));
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined); // the status says it
  for (let at = 0; at < statements.length; at += perFrame) call.write({ requests: statements.slice(at, at + perFrame) });
  call.end();
  const ended = await status;
  return { answers: frames.flatMap((frame) => frame.responses), frames, status: ended };
}

describe('the statement stream', () => {
  it('answers every statement once, each answer carrying its statement sequence', async () => {
    const statements = Array.from({ length: 50 }, (_, i) => statement(i + 1, `insert into streamed values (${i}, 'v${i}');`));
    const { answers, status } = await exchange(statements, 7);
    assert.equal(status.code, grpc.status.OK, 'the region did not end the stream cleanly after the client half-closed it');
    assert.deepEqual(
      answers.map((a) => a.sequence).sort((a, b) => a - b),
      statements.map((s) => s.sequence),
    );
    assert.ok(answers.every((a) => a.outcome === 'result' && a.result?.rows_affected === 1));
    assert.deepEqual(await region.rows('select count(*) from streamed;'), [[50]]);
  });

  it('a failing statement is answered with its error and the statements after it still run', async () => {
    const { answers, status } = await exchange([
      statement(1, "insert into streamed values (1000, 'first');"),
      statement(2, "insert into streamed values (1000, 'duplicate');"),
      statement(3, 'select v from streamed where id = 1000;'),
    ]);
    assert.equal(status.code, grpc.status.OK);
    const bySequence = new Map(answers.map((a) => [a.sequence, a]));
    assert.equal(bySequence.get(2)?.error?.code, 'DUPLICATE_KEY');
    assert.deepEqual(
      bySequence.get(3)?.result?.rows.map((row) => row.values.map((value) => value.text)),
      [['first']],
    );
  });

  it('an insert sent again under its request id is answered from the log with the sequence it was sent with this time', async () => {
    const first = statement(1, "insert into streamed values (2000, 'once');");
    await exchange([first]);
    // The same request, as a client retrying it on a new stream would send it.
    const again = { ...first, sequence: 7 };
    const { answers, status } = await exchange([
      statement(6, 'select v from streamed where id = 2000;'),
      again,
      statement(8, 'select v from streamed where id = 2000;'),
    ]);
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(
      answers.map((a) => a.sequence).sort((a, b) => a - b),
      [6, 7, 8],
    );
    const retried = answers.find((a) => a.sequence === 7);
    assert.equal(retried?.outcome, 'result', `the retried insert was answered ${JSON.stringify(retried)}`);
    assert.equal(retried?.result?.rows_affected, 1, 'the retried insert was not answered with the first answer');
    assert.deepEqual(await region.rows('select count(*) from streamed where id = 2000;'), [[1]]);
  });

  it('answers that together pass the frame byte bound come back in several frames, none much past the bound', async () => {
    const wide = 'w'.repeat(200_000);
    for (let id = 0; id < 6; id++) await region.execute(`insert into streamed values (${5000 + id}, '${wide}');`);
    const reads = Array.from({ length: 8 }, (_, i) => statement(i + 1, 'select v from streamed where id >= 5000 and id < 5003;'));
    const { answers, frames, status } = await exchange(reads);
    assert.equal(status.code, grpc.status.OK);
    assert.equal(answers.length, 8);
    assert.ok(
      answers.every((a) => a.result?.rows.length === 3),
      'a read lost rows',
    );
    // Each answer holds about 600 KB: two never share a frame under a 1 MiB bound.
    assert.ok(frames.length >= 8, `8 answers of 600 KB came in ${frames.length} frames`);
    for (const frame of frames) {
      const bytes = frame.responses.reduce((sum, r) => sum + (r.result?.rows ?? []).reduce((s, row) => s + (row.values[0]?.text?.length ?? 0), 0), 0);
      assert.ok(bytes <= FRAME_LIMITS.bytesMax || frame.responses.length === 1, `a frame of ${frame.responses.length} answers holds ${bytes} bytes`);
    }
  });
});
