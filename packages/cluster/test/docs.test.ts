/**
 * The docs cannot drift silently: every repository path a README, a doc or a DESIGN.md
 * names in backticks exists, and every error code of the catalog is explained in
 * docs/sql.md.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ErrorCode } from '@minisql/common';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PATH_LIKE = /^[\w.\-/]+\.(ts|md|yaml|yml|sh|mjs|json|proto|txt|js)$/;
/** Names in docs that are not files of the repository, and why. */
const NOT_REPOSITORY_FILES = new Map([
  ['compare.json', 'written by bench:compare into its --out folder'],
  ['config.yaml', "pyjepsen's name for a test configuration, as the Jepsen README says"],
]);
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', 'store', 'data', 'generated', '.minisql', '.tools']);

function files(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files(path, out);
    else out.push(path);
  }
  return out;
}

function documents(): string[] {
  const packages = readdirSync(join(ROOT, 'packages'));
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
    ...packages.flatMap((name) => ['DESIGN.md', 'README.md', 'bench/README.md'].map((file) => `packages/${name}/${file}`)),
  ].filter((doc) => existsSync(join(ROOT, doc)));
}

describe('the docs', () => {
  it('name only paths that exist (from the root, packages/, the doc itself, or its package and its src/)', () => {
    const basenames = new Set(files(ROOT).map((path) => basename(path)));
    const missing: string[] = [];
    for (const doc of documents()) {
      const pkg = doc.startsWith('packages/') ? join(ROOT, 'packages', doc.split('/')[1] as string) : ROOT;
      for (const match of readFileSync(join(ROOT, doc), 'utf8').matchAll(/`([^`\s]+)`/g)) {
        const token = (match[1] as string).replace(/[),.:;]+$/, '');
        if (!PATH_LIKE.test(token) || NOT_REPOSITORY_FILES.has(token)) continue;
        const candidates = [
          join(ROOT, token),
          join(ROOT, 'packages', token),
          join(dirname(join(ROOT, doc)), token),
          join(pkg, token),
          join(pkg, 'src', token),
          join(pkg, 'node_modules', token),
        ];
        if (candidates.some((path) => existsSync(path))) continue;
        // A bare file name (`wal-sync.ts`) is found anywhere in the repository.
        if (!token.includes('/') && basenames.has(token)) continue;
        missing.push(`${doc}: ${token}`);
      }
    }
    assert.deepEqual(missing, [], `paths named in the docs that do not exist:\n${missing.join('\n')}`);
  });

  it('explain every error code of the catalog in docs/sql.md', () => {
    const sqlDoc = readFileSync(join(ROOT, 'docs', 'sql.md'), 'utf8');
    const unexplained = Object.values(ErrorCode).filter((code) => !sqlDoc.includes(`\`${code}\``));
    assert.deepEqual(unexplained, [], `error codes missing from docs/sql.md: ${unexplained.join(', ')}`);
  });
});
