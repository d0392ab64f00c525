/**
 * Backup and restore with real processes: a backup taken while writes stream in, restored
 * into a fresh cluster, equals the source table by table and row by row at the backup's
 * positions (hard values included: quotes, new lines, unicode, nulls, 64-bit integers,
 * floats); indexes come back; a damaged backup or a cluster that already holds a table is
 * refused before anything changes; only an admin may take one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient, COMMAND_LINE_ORIGIN, ScriptRunner } from '@minisql/client';
import type { MiniSqlError } from '@minisql/common';
import { backupCluster, readManifest, restoreCluster } from '../src/backup.js';
import { TestCluster } from './support/test-cluster.js';

const WRITES_MAX = 20_000;
let source: TestCluster;
let target: TestCluster;
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'minisql-backup-'));
  [source, target] = [await TestCluster.start({ regions: 2 }), await TestCluster.start({ regions: 2 })];
  await source.waitForStatus('a group', (s) => s.groups[0]?.in_sync.length === 1);
  await target.waitForStatus('a group', (s) => s.groups[0]?.in_sync.length === 1);
});

after(async () => {
  await source?.stop();
  await target?.stop();
  rmSync(work, { recursive: true, force: true });
});

const rowsOf = async (client: ClusterClient, sql: string) => (await client.execute(sql)).rows;

describe('a backup', () => {
  it('taken during writes and restored into a fresh cluster equals the source at its positions, table by table and row by row', async () => {
    const client = await source.client();
    await client.execute('create table people (id int primary key, name char(40) not null, score float, big bigint, note text);');
    await client.execute('create index people_name on people (name);');
    await client.execute(
      "insert into people values (1, 'O''Brien', 0.1, 9007199254740991, 'two\nlines'), (2, 'Zoë 🙂', -2.5e-7, -9007199254740991, null), (3, 'plain', null, null, '');",
    );
    await client.execute('create table events (id int primary key, v text);');
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      for (let id = 1; id <= WRITES_MAX && !stop; id += 1) {
        await client.execute('insert into events values (?, ?);', { params: [id, `event ${id}`] }).then(
          () => acked.push(id),
          () => undefined,
        );
      }
    })();
    await source.waitFor('writes before the backup', async () => (acked.length >= 200 ? true : undefined));
    const ackedBefore = acked.length;
    const dir = join(work, 'backup');
    const manifest = await backupCluster(await source.client(), dir);
    stop = true;
    await writer;

    assert.deepEqual(
      manifest.tables.map((t) => t.name),
      ['events', 'people'],
    );
    assert.match(manifest.consistency, /table by table/);
    const restored = await target.client();
    await restoreCluster(restored, dir);

    const people = 'select id, name, score, big, note from people order by id;';
    assert.deepEqual(await rowsOf(restored, people), await rowsOf(client, people));
    assert.ok(
      (await rowsOf(restored, 'show indexes from people;')).some((row) => row[1] === 'people_name'),
      'the index came back',
    );
    const events = (await rowsOf(restored, 'select id from events order by id;')).map((row) => Number(row[0]));
    const entry = manifest.tables.find((t) => t.name === 'events');
    assert.equal(events.length, entry?.rows, 'the restored table holds what the backup holds');
    const attempted = new Set(Array.from({ length: WRITES_MAX }, (_, i) => i + 1));
    assert.ok(
      acked.slice(0, ackedBefore).every((id) => events.includes(id)),
      'every write acknowledged before the backup began is in it',
    );
    assert.ok(
      events.every((id) => attempted.has(id)),
      'nothing that was never written',
    );
    assert.deepEqual(
      events,
      [...events].sort((a, b) => a - b).filter((id, i, all) => all.indexOf(id) === i),
    );
    // At its position, the source held exactly the events up to the last one backed up.
    const upTo = events.at(-1) as number;
    assert.deepEqual(
      (await rowsOf(client, `select id from events where id <= ${upTo} order by id;`)).map((row) => Number(row[0])),
      events,
    );
  });

  it('is refused when damaged, or when the cluster already holds one of its tables, before anything changes', async () => {
    const dir = join(work, 'backup');
    const damaged = join(work, 'damaged');
    cpSync(dir, damaged, { recursive: true });
    const file = join(damaged, readManifest(damaged).tables[0]?.file as string);
    writeFileSync(file, readFileSync(file, 'utf8').replace('event 1', 'event X'));
    const fresh = await TestCluster.start({ regions: 2 });
    try {
      await assert.rejects(
        restoreCluster(await fresh.client(), damaged),
        (error: MiniSqlError) => error.code === 'FILE_ERROR' && /backup is damaged/.test(error.message),
      );
      assert.deepEqual((await (await fresh.client()).execute('show tables;')).rows, [], 'nothing was restored');
    } finally {
      await fresh.stop();
    }
    await assert.rejects(restoreCluster(await target.client(), dir), (error: MiniSqlError) => error.code === 'TABLE_EXISTS');
  });

  it('dump; prints a table as SQL that execfile runs back to the same rows', async () => {
    const printed: string[] = [];
    const sink = { write: (text: string) => printed.push(text), isTTY: false };
    const source_ = await source.client();
    const dumping = new ScriptRunner({ executor: source_, out: sink, err: sink, cwd: work, format: 'table' });
    await dumping.runScript('dump people;', COMMAND_LINE_ORIGIN);
    assert.equal(dumping.failures, 0, printed.join(''));
    const dump = printed.join('');
    assert.match(dump, /^-- table people at log position \d+\ncreate table `people` \(/);
    const restored = await target.client();
    await restored.execute('drop table people;');
    writeFileSync(join(work, 'people.sql'), dump);
    const replaying = new ScriptRunner({ executor: restored, out: sink, err: sink, cwd: work, format: 'table' });
    await replaying.runScript('execfile people.sql;', COMMAND_LINE_ORIGIN);
    assert.equal(replaying.failures, 0, printed.join(''));
    const people = 'select id, name, score, big, note from people order by id;';
    assert.deepEqual(await rowsOf(restored, people), await rowsOf(source_, people));
  });

  it('is for admins only', async () => {
    const admin = await source.client();
    await admin.execute("create user reader identified by 'reader-passphrase-4711';");
    await admin.execute('grant read on * to reader;');
    const reader = await ClusterClient.connect({
      masterAddresses: source.masterAddresses,
      tls: source.tls,
      login: { user: 'reader', password: 'reader-passphrase-4711' },
    });
    try {
      await assert.rejects(
        backupCluster(reader, join(work, 'not-allowed')),
        (error: MiniSqlError) => error.code === 'PERMISSION_DENIED' && /backup needs admin/.test(error.message),
      );
    } finally {
      reader.close();
    }
  });
});
