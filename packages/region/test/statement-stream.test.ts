/** RegionService.ExecuteStream on the wire: a real region process and a raw gRPC stream. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type ExecuteRequest, type ExecuteResponse__Output, type RegionServiceClient } from '@minisql/common';
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

/** Sends every statement on one stream, half-closes it, and collects the answers and the final status. */
async function exchange(statements: ExecuteRequest[]): Promise<{ answers: ExecuteResponse__Output[]; status: grpc.StatusObject }> {
  const call = stub.ExecuteStream();
  const answers: ExecuteResponse__Output[] = [];
  call.on('data', (response: ExecuteResponse__Output) => answers.push(response));
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined); // the status says it
  for (const request of statements) call.write(request);
  call.end();
  return { answers, status: await status };
}

describe('the statement stream', () => {
  it('answers every statement once, each answer carrying its statement sequence', async () => {
    const statements = Array.from({ length: 50 }, (_, i) => statement(i + 1, `insert into streamed values (${i}, 'v${i}');`));
    const { answers, status } = await exchange(statements);
    assert.equal(status.code, grpc.status.OK, 'the region did not end the stream cleanly after the client half-closed it');
    assert.deepEqual(answers.map((a) => a.sequence).sort((a, b) => a - b), statements.map((s) => s.sequence));
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
    assert.deepEqual(bySequence.get(3)?.result?.rows.map((row) => row.values.map((value) => value.text)), [['first']]);
  });
});
