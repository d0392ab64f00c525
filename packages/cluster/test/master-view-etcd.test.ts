/**
 * The master reads its view in pages, with a real etcd: a catalog larger than etcd's
 * 4 MiB answer (1,200 tables with long create statements, about 6 MiB) loads whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { EtcdKeys, Logger } from '@minisql/common';
import { LOAD_PAGE_KEYS, MetadataStore } from '@minisql/master';
import { startEtcdOnly, type TestCluster } from './support/test-cluster.js';

const quiet = new Logger('test', 'metadata', 'error', { write: () => undefined });
const TABLES = 1_200;

describe("the master's view of a large catalog", () => {
  let test: TestCluster;
  let etcd: Etcd3;
  before(async () => {
    ({ test, etcd } = await startEtcdOnly());
  });
  after(async () => {
    etcd?.close();
    await test?.stop();
  });

  it(`loads ${TABLES} tables of 5 KiB records (past etcd's 4 MiB answer), in pages of ${LOAD_PAGE_KEYS}, every one`, async () => {
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const comment = 'x'.repeat(5_000);
    for (let from = 0; from < TABLES; from += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const name = `t${from + i}`;
          const record = { name, definition: { name, columns: [], primaryKey: 'id' }, createSql: `create table ${name} (id int primary key) -- ${comment}`, group: 'g1', state: 'ready', indexes: [] };
          return etcd.put(keys.table(name)).value(JSON.stringify(record));
        }),
      );
    }
    // On a client of its own: a refused call opens the etcd3 client's circuit breaker.
    const probe = test.etcdAdmin();
    const all = await probe
      .getAll()
      .prefix(keys.tables)
      .exec()
      .then(
        () => 'answered',
        (error: Error) => error.message,
      )
      .finally(() => probe.close());
    assert.match(all, /larger than max|RESOURCE_EXHAUSTED|Received message larger/i, `one range over the catalog ${all}: the test no longer passes the limit`);
    const loaded = await new MetadataStore(etcd, keys, quiet).load();
    assert.equal(loaded.view.tables.size, TABLES);
    assert.equal(loaded.tableRevisions.size, TABLES);
    assert.ok(loaded.view.tables.get('t1199')?.createSql.endsWith(comment));
  });
});
