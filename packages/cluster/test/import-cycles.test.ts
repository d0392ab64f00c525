/**
 * No source file of any package imports itself back through others (type imports
 * included): a cycle makes the load order decide what is defined, and the layers blur.
 * Reads the sources as text; a new cycle fails the suite, naming its files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LOCAL_IMPORT = /(?:import|export)[^'";]*?from\s+'(\.{1,2}\/[^']+)'/g;

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourcesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every cycle found by a depth-first walk, as the files along it. */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('the sources', () => {
  it('finds a cycle when there is one (the walk itself)', () => {
    assert.deepEqual(
      importCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
      [['a', 'b', 'c', 'a']],
    );
    assert.deepEqual(
      importCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });

  it('import nothing in a cycle, in any package', () => {
    const files = readdirSync(PACKAGES).flatMap((pkg) => {
      try {
        return sourcesUnder(join(PACKAGES, pkg, 'src'));
      } catch {
        return [];
      }
    });
    const known = new Set(files);
    const graph = new Map(
      files.map((file) => [
        file,
        [...readFileSync(file, 'utf8').matchAll(LOCAL_IMPORT)]
          .map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')))
          .filter((dep) => known.has(dep)),
      ]),
    );
    assert.ok(files.length > 100, `only ${files.length} source files found under ${PACKAGES}`);
    const cycles = importCycles(graph).map((cycle) => cycle.map((file) => relative(PACKAGES, file)).join(' -> '));
    assert.deepEqual(cycles, []);
  });
});
