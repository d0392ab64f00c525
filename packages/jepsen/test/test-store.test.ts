import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORE_FILES, StoreError, storeTimestamp, TestStore } from '../src/store/test-store.js';

/** A fresh folder holding nothing but what a test puts there, removed afterwards. */
async function withSandbox(body: (sandbox: string) => Promise<void>): Promise<void> {
  const sandbox = await mkdtemp(join(tmpdir(), 'jepsen-store-'));
  try {
    await body(sandbox);
  } finally {
    await rm(sandbox, { recursive: true, force: true });
  }
}

/** Every path under `dir`, relative, folders with a trailing slash, links as "name -> target". */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    if (entry.isSymbolicLink()) out.push(`${path} -> ${await readlink(join(dir, entry.name))}`);
    else if (entry.isDirectory()) out.push(`${path}/`, ...(await tree(join(dir, entry.name), `${path}/`)));
    else out.push(path);
  }
  return out.sort();
}

describe('storeTimestamp', () => {
  it('names a run by its UTC start to the millisecond, with no character a filesystem refuses', () => {
    assert.equal(storeTimestamp(new Date(Date.UTC(2024, 0, 5, 7, 8, 9, 42))), '20240105T070809.042');
    assert.match(storeTimestamp(new Date()), /^\d{8}T\d{6}\.\d{3}$/);
  });
});

describe('TestStore', () => {
  it('creates store/<test>/<time>/ with the run files, node folders and jepsen.log', async () => {
    await withSandbox(async (sandbox) => {
      const root = join(sandbox, 'store');
      const store = await TestStore.create(root, 'etcd register', new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7)));
      assert.equal(store.dir, join(root, 'etcd register', '20240229T235958.007'));
      assert.equal(store.path(''), store.dir);
      for (const name of Object.values(STORE_FILES)) if (name !== STORE_FILES.log) await store.writeText(name, `${name}\n`);
      const log = store.logStream();
      assert.equal(store.logStream(), log, 'one stream per run');
      log.write('INFO Running test\n');
      const nodeDir = await store.nodeDir('n1');
      assert.equal(nodeDir, join(store.dir, 'n1'));
      await store.writeText('n1/etcd.log', 'started\n');
      await store.close();
      await store.linkLatest();
      assert.deepEqual(
        await tree(root),
        [
          'etcd register/',
          'etcd register/20240229T235958.007/',
          ...[...Object.values(STORE_FILES), 'n1/', 'n1/etcd.log'].map((name) => `etcd register/20240229T235958.007/${name}`),
          'etcd register/latest -> 20240229T235958.007',
          'latest -> etcd register/20240229T235958.007',
        ].sort(),
      );
      assert.equal(await readFile(store.path(STORE_FILES.log), 'utf8'), 'INFO Running test\n');
      assert.equal(await readFile(join(root, 'latest', STORE_FILES.timeline), 'utf8'), 'timeline.html\n', 'the link leads to the files');
    });
  });

  it('points both latest links at the newest run after two runs', async () => {
    await withSandbox(async (sandbox) => {
      const root = join(sandbox, 'store');
      const first = await TestStore.create(root, 'register', new Date(Date.UTC(2024, 0, 1, 0, 0, 0, 0)));
      await first.linkLatest();
      const second = await TestStore.create(root, 'register', new Date(Date.UTC(2024, 0, 1, 0, 0, 1, 500)));
      await second.writeText(STORE_FILES.results, '{:valid? true}\n');
      await second.linkLatest();
      assert.equal(await readlink(join(root, 'latest')), join('register', '20240101T000001.500'));
      assert.equal(await readlink(join(root, 'register', 'latest')), '20240101T000001.500');
      assert.equal(await realpath(join(root, 'latest')), await realpath(second.dir));
      assert.equal(await readFile(join(root, 'register', 'latest', STORE_FILES.results), 'utf8'), '{:valid? true}\n');
      const leftovers = (await tree(root)).filter((path) => path.includes('.tmp'));
      assert.deepEqual(leftovers, [], 'no temporary links or files left behind');
    });
  });

  it('gives two runs started in the same millisecond folders of their own', async () => {
    await withSandbox(async (sandbox) => {
      const now = new Date(Date.UTC(2024, 0, 1, 12, 0, 0, 999));
      const a = await TestStore.create(sandbox, 't', now);
      const b = await TestStore.create(sandbox, 't', now);
      assert.notEqual(a.dir, b.dir);
      assert.equal(b.runName, '20240101T120001.000');
    });
  });

  it('writes nothing outside the store root', async () => {
    await withSandbox(async (sandbox) => {
      const root = join(sandbox, 'store');
      const store = await TestStore.create(root, 'confined', new Date(0));
      const refused = async (attempt: () => unknown): Promise<void> => {
        await assert.rejects(
          async () => attempt(),
          (error: unknown) => error instanceof StoreError && error.code === 'STORE_BAD_NAME',
        );
      };
      await refused(() => store.writeText('../escaped.txt', 'x'));
      await refused(() => store.writeText('../../escaped.txt', 'x'));
      await refused(() => store.writeText(join(sandbox, 'escaped.txt'), 'x'));
      await refused(() => store.writeText('', 'x'));
      await refused(() => store.nodeDir('../n1'));
      await refused(() => store.nodeDir('..'));
      await refused(() => store.path('n1/../../../escaped'));
      for (const name of ['../up', 'a/b', 'latest', '', 'c:d', 'x\u0000y']) await refused(() => TestStore.create(root, name, new Date(0)));
      await store.writeText('inside/../ok.txt', 'fine');
      await store.linkLatest();
      assert.deepEqual(await readdir(sandbox), ['store'], 'the sandbox holds only the store');
      assert.ok((await stat(store.path('ok.txt'))).isFile());
    });
  });
});
