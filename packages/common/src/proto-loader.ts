/**
 * Loads the contracts of proto/ at run time and returns them with the types that
 * scripts/gen-proto.mjs generated from the same files.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as RegionProto } from './generated/region.js';
import type { ProtoGrpcType as MasterProto } from './generated/master.js';
import type { ProtoGrpcType as ReplicationProto } from './generated/replication.js';

/** Must match the flags given to proto-loader-gen-types in scripts/gen-proto.mjs. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

function findProtoDir(): string {
  // dist/src/proto-loader.js -> repository root/proto; also works from src/ under a loader.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'minisql', 'v1', 'types.proto'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find the proto/ directory above ' + fileURLToPath(import.meta.url));
}

let cached: { region: RegionProto; master: MasterProto; replication: ReplicationProto } | undefined;

function load<T>(file: string): T {
  const definition = protoLoader.loadSync(file, { ...LOADER_OPTIONS, includeDirs: [findProtoDir()] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

export function loadProtos(): { region: RegionProto; master: MasterProto; replication: ReplicationProto } {
  cached ??= {
    region: load<RegionProto>('minisql/v1/region.proto'),
    master: load<MasterProto>('minisql/v1/master.proto'),
    replication: load<ReplicationProto>('minisql/v1/replication.proto'),
  };
  return cached;
}
