import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdKeys } from '@minisql/common';
import { ViewCache, type KeyChange } from '../src/view-cache.js';

const keys = new EtcdKeys('/m/');
const table = (name: string, group = 'g1') =>
  JSON.stringify({
    name,
    definition: { name, columns: [], primaryKey: 'id' },
    createSql: `create table ${name} (id int primary key)`,
    group,
    state: 'ready',
    indexes: [],
  });
const group = (id: string, epoch: number) => JSON.stringify({ id, epoch, primary: 'r1', inSync: ['r2'], catchingUp: [] });
const put = (key: string, value: string, modRevision: number): KeyChange => ({ key, value, modRevision });
const del = (key: string, modRevision: number): KeyChange => ({ key, value: undefined, modRevision });

function loaded(unreadable: string[] = []): ViewCache {
  const cache = new ViewCache(keys, (key) => unreadable.push(key));
  cache.reset([put(keys.table('a'), table('a'), 3), put(keys.group('g1'), group('g1', 1), 2), put(`${keys.prefix}users/u`, '{}', 4)], 10);
  return cache;
}

describe('the view kept by the watch', () => {
  it('applies puts and deletes, with the mod revision each compare-and-set needs', () => {
    const cache = loaded();
    cache.apply(put(keys.table('b'), table('b'), 11));
    cache.apply(put(keys.group('g1'), group('g1', 2), 12));
    cache.apply(del(keys.table('a'), 13));
    const { view, tableRevisions, groupRevisions } = cache.snapshot();
    assert.deepEqual([...view.tables.keys()], ['b']);
    assert.equal(tableRevisions.get('b'), '11');
    assert.equal(view.groups.get('g1')?.epoch, 2);
    assert.equal(groupRevisions.get('g1'), '12');
    assert.equal(cache.revision, 13);
  });

  it('applies every change of one transaction (they share a revision), and skips what the full read already held', () => {
    const cache = loaded();
    cache.apply(put(keys.group('g2'), group('g2', 1), 11));
    cache.apply(put(keys.group('g3'), group('g3', 1), 11));
    cache.apply(put(keys.table('a'), table('a', 'stale'), 9)); // replayed from before the read
    const { view } = cache.snapshot();
    assert.deepEqual([...view.groups.keys()].sort(), ['g1', 'g2', 'g3']);
    assert.equal(view.tables.get('a')?.group, 'g1');
  });

  it('is current when at or past etcd, or when nothing under the prefix changed since', () => {
    const cache = loaded();
    assert.equal(cache.isCurrent({ headerRevision: 10, newestModRevision: 4, count: 3 }), true);
    assert.equal(cache.isCurrent({ headerRevision: 25, newestModRevision: 4, count: 3 }), true, 'etcd moved on outside the prefix');
  });

  it('is not current when etcd has a newer key, or one key fewer (a delete the watch has not brought)', () => {
    const cache = loaded();
    assert.equal(cache.isCurrent({ headerRevision: 11, newestModRevision: 11, count: 4 }), false, 'a key added');
    assert.equal(cache.isCurrent({ headerRevision: 11, newestModRevision: 11, count: 3 }), false, 'a key changed');
    assert.equal(cache.isCurrent({ headerRevision: 11, newestModRevision: 4, count: 2 }), false, 'a key deleted');
    cache.apply(del(`${keys.prefix}users/u`, 11));
    assert.equal(cache.isCurrent({ headerRevision: 11, newestModRevision: 3, count: 2 }), true);
  });

  it('counts a record that does not parse, reports it, and drops what that key held before', () => {
    const unreadable: string[] = [];
    const cache = loaded(unreadable);
    cache.apply(put(keys.table('a'), '{not json', 11));
    assert.deepEqual(unreadable, [keys.table('a')]);
    assert.equal(cache.snapshot().view.tables.has('a'), false);
    assert.equal(cache.isCurrent({ headerRevision: 12, newestModRevision: 11, count: 3 }), true);
  });

  it('hands out copies: changing one leaves the kept view as it was', () => {
    const cache = loaded();
    const first = cache.snapshot();
    (first.view.tables as Map<string, unknown>).clear();
    assert.equal(cache.snapshot().view.tables.size, 1);
  });
});
