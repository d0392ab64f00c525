/**
 * The master reads its view in pages, with a real etcd: a catalog larger than etcd's
 * 4 MiB answer (1,200 tables with long create statements, about 6 MiB) loads whole;
 * after that the watch keeps it, and no change makes the master read it all again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdKeys, Logger } from '@minisql/common';
import { LOAD_PAGE_KEYS, MetadataStore } from '@minisql/master';
import { etcdForSuite } from './support/test-cluster.js';

const quiet = new Logger('test', 'metadata', 'error', { write: () => undefined });
const TABLES = 1_200;

describe("the master's view of a large catalog", () => {
  const suite = etcdForSuite();

  it(`loads ${TABLES} tables of 5 KiB records (past etcd's 4 MiB answer), in pages of ${LOAD_PAGE_KEYS}, every one`, async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const comment = 'x'.repeat(5_000);
    for (let from = 0; from < TABLES; from += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const name = `t${from + i}`;
          const record = {
            name,
            definition: { name, columns: [], primaryKey: 'id' },
            createSql: `create table ${name} (id int primary key) -- ${comment}`,
            group: 'g1',
            state: 'ready',
            indexes: [],
          };
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
    const store = new MetadataStore(etcd, keys, quiet);
    try {
      const loaded = await store.load();
      assert.equal(loaded.view.tables.size, TABLES);
      assert.equal(loaded.tableRevisions.size, TABLES);
      assert.ok(loaded.view.tables.get('t1199')?.createSql.endsWith(comment));
    } finally {
      await store.close();
    }
  });

  it('keeps the view by its watch: changes made by another etcd client are in the next load, and the prefix is never read whole again', async () => {
    const { test, etcd } = suite;
    const keys = new EtcdKeys(test.config.etcdPrefix);
    const store = new MetadataStore(etcd, keys, quiet);
    const other = test.etcdAdmin();
    const ranges: Array<number | undefined> = [];
    const range = etcd.kv.range.bind(etcd.kv);
    etcd.kv.range = (request, options) => {
      ranges.push(request.limit === undefined ? undefined : Number(request.limit));
      return range(request, options);
    };
    let changes = 0;
    const subscription = await store.watch(() => (changes += 1));
    try {
      const before = await store.load();
      const fullReadPages = ranges.filter((limit) => limit === LOAD_PAGE_KEYS).length;
      assert.ok(fullReadPages >= TABLES / LOAD_PAGE_KEYS, `the first load read ${fullReadPages} pages`);
      const original = before.view.tables.get('t7');
      for (let i = 0; i < 20; i++) {
        // Each change is made by another client, and the load right after it must hold it.
        const name = `w${i}`;
        await other.put(keys.table(name)).value(JSON.stringify({ ...original, name, definition: { ...original?.definition, name } }));
        await other.delete().key(keys.table(`t${i}`));
        const view = await store.load();
        assert.equal(view.view.tables.has(name), true, `${name} was put before this load`);
        assert.equal(view.view.tables.has(`t${i}`), false, `t${i} was deleted before this load`);
        assert.equal(view.view.tables.size, TABLES);
        assert.ok(Number(view.tableRevisions.get(name)) > Number(before.tableRevisions.get('t1199')));
      }
      assert.equal(ranges.filter((limit) => limit === LOAD_PAGE_KEYS).length, fullReadPages, 'a load after a change read the whole prefix again');
      assert.ok(changes >= 20, `the subscription heard ${changes} changes`);
    } finally {
      etcd.kv.range = range;
      await subscription.cancel();
      await store.close();
      other.close();
    }
  });
});
