#!/usr/bin/env node
// Generates the typed gRPC bindings of packages/common/src/generated from proto/.
// The output is never edited by hand and not committed: the build runs this first.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'packages', 'common', 'src', 'generated');
const files = readdirSync(join(protoDir, 'minisql', 'v1'))
  .filter((name) => name.endsWith('.proto'))
  .map((name) => join('minisql', 'v1', name));

rmSync(outDir, { recursive: true, force: true });
const generator = join(root, 'node_modules', '.bin', 'proto-loader-gen-types');
// These options must match the loader options in packages/common/src/proto-loader.ts.
const result = spawnSync(
  generator,
  [...files, '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--keepCase',
    '--includeComments', '--importFileExtension=.js', '--grpcLib=@grpc/grpc-js',
    `--outDir=${outDir}`, `--includeDirs=${protoDir}`],
  { stdio: 'inherit', cwd: protoDir },
);
if (result.status !== 0) {
  console.error(`proto generation failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
