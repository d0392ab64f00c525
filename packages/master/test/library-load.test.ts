/** The master holds no table: loading it must not load SQLite (it reaches regions through @minisql/wire, not the client). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MASTER_INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));
const MASTER_PACKAGE = fileURLToPath(new URL('../../package.json', import.meta.url));

describe('the master package', () => {
  it('loads no SQLite binding, and depends on neither the client nor the region package', () => {
    const script = `
      await import(${JSON.stringify(MASTER_INDEX)});
      const { createRequire } = await import('node:module');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('better-sqlite3'));
      process.stdout.write(JSON.stringify(loaded));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    assert.deepEqual(loaded, []);
    const { dependencies } = JSON.parse(readFileSync(MASTER_PACKAGE, 'utf8')) as { dependencies: Record<string, string> };
    assert.deepEqual(
      Object.keys(dependencies).filter((name) => ['@minisql/client', '@minisql/region', 'better-sqlite3'].includes(name)),
      [],
    );
  });
});
