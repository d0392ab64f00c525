/** Every write is logged in its table's file with its request id: a retry is answered, not applied again. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { RegionFixture } from './support/region-fixture.js';

let region: RegionFixture;
let dataDir: string;
before(async () => {
  region = await RegionFixture.start();
  dataDir = region.dataDir;
  await region.execute('create table counter (id int primary key, n int);');
  await region.execute('insert into counter values (1, 0);');
});
after(async () => {
  await region.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the request log', () => {
  it('applies a write sent twice with one request id once, and answers the retry with the first result', async () => {
    const first = await region.client.execute('update counter set n = n + 1 where id = 1;', { requestId: 'req-42' });
    const retry = await region.client.execute('update counter set n = n + 1 where id = 1;', { requestId: 'req-42' });
    assert.equal(first.rowsAffected, 1);
    assert.equal(retry.rowsAffected, 1);
    assert.deepEqual(await region.rows('select n from counter;'), [[1]]);
    await region.client.execute('update counter set n = n + 1 where id = 1;', { requestId: 'req-43' });
    assert.deepEqual(await region.rows('select n from counter;'), [[2]]);
  });

  it('remembers request ids across a restart of the region', async () => {
    await region.stop(true);
    region = await RegionFixture.start(region.dataDir);
    await region.client.execute('update counter set n = n + 1 where id = 1;', { requestId: 'req-43' });
    assert.deepEqual(await region.rows('select n from counter;'), [[2]]);
  });

  it('does not log a failed write, so its request id can be used again', async () => {
    await assert.rejects(region.client.execute('insert into counter values (1, 5);', { requestId: 'req-50' }), /DUPLICATE|duplicate/);
    await region.client.execute('insert into counter values (2, 5);', { requestId: 'req-50' });
    assert.deepEqual(await region.rows('select id, n from counter order by id;'), [
      [1, 2],
      [2, 5],
    ]);
  });
});
