/** Bad input never kills the region and never changes data; every refusal has a code and a reason. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isErrorCode } from '@minisql/common';
import { RegionFixture } from './support/region-fixture.js';

let region: RegionFixture;
before(async () => {
  region = await RegionFixture.start();
  await region.execute('create table safe (id int primary key, v char(4));');
  await region.execute("insert into safe values (1, 'one'), (2, 'two');");
});
after(async () => {
  await region.stop();
});

const hostile: Array<[string, string]> = [
  ['empty text', ''],
  ['only a comment', '-- nothing here'],
  ['two statements', 'select 1; delete from safe;'],
  ['deep parentheses', `select ${'('.repeat(5000)}1${')'.repeat(5000)};`],
  ['a statement over the length limit', `select '${'x'.repeat(4 * 1024 * 1024 + 10)}';`],
  ['control characters', 'select \u0000\u0001\u0002 from safe;'],
  ['an attach', "attach database '/etc/passwd' as p;"],
  ['a pragma through a table function', "select * from pragma_table_info('safe');"],
  ['SQLite internals', 'select * from sqlite_schema;'],
  ['minisql metadata', 'select * from minisql_meta;'],
  ['an unterminated string', "insert into safe values (3, 'abc"],
  ['an unterminated comment', 'select 1 /* open'],
  ['a write inside a select', 'select * from safe where id = (delete from safe);'],
  ['a long recursive query', 'with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000) select count(*) from n;'],
];

describe('hostile statements', () => {
  for (const [name, sql] of hostile) {
    it(`survives ${name} and leaves the data unchanged`, async () => {
      let code = 'OK';
      try {
        await region.execute(sql);
      } catch (error) {
        const failure = error as { code: string; message: string };
        code = failure.code;
        assert.ok(isErrorCode(failure.code), `unknown code ${failure.code}`);
        assert.notEqual(failure.code, 'INTERNAL', failure.message);
        assert.ok(failure.message.length > 10, 'a reason, not just a code');
      }
      await region.client.ping();
      assert.deepEqual(
        await region.rows('select * from safe order by id;'),
        [
          [1, 'one'],
          [2, 'two'],
        ],
        `after ${code}`,
      );
    });
  }

  it('refuses a result past its byte limit (64 MiB) with LIMIT_EXCEEDED naming the limit, and stays up', async () => {
    const wide = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 90000) select i, printf('%.1000c', 'x') from n;";
    await assert.rejects(
      region.execute(wide),
      (error: { code: string; message: string }) =>
        error.code === 'LIMIT_EXCEEDED' && /bytes of one result \(the setting resultBytesMax\) exceeds the limit of 67108864/.test(error.message),
    );
    await region.client.ping();
  });

  it('cuts a result at the row limit and says so', async () => {
    const result = await region.execute('with recursive n(i) as (select 1 union all select i + 1 from n where i < 100005) select i from n;');
    assert.equal(result.rows.length, 100_000);
    assert.equal(result.truncated, true);
  });
});
