/** What loading the client library costs a process: the master loads it to reach regions, and holds no table. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLIENT_INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));

describe('the client library', () => {
  it('loads no SQLite until a query joins tables of several groups', () => {
    const script = `
      await import(${JSON.stringify(CLIENT_INDEX)});
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('better-sqlite3'));
      process.stdout.write(JSON.stringify(loaded));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    assert.deepEqual(loaded, []);
  });
});
