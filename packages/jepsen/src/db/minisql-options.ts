/**
 * The `database:` options of minisql under test (see minisql-database.ts for what each
 * means), parsed and checked; apart so that the connection and the database adapter can
 * both read them without importing each other.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JepsenError, scalarText } from '../jepsen-errors.js';

/** The repository root of this checkout (packages/jepsen/dist/src/db → five levels up). */
const THIS_CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');

export interface MinisqlOptions {
  root: string;
  dir: string;
  leaseTtlSeconds: number;
  replicationFactor: number;
  strictReplication: boolean;
  masters: 1 | 2;
  tables: number;
  keysProvisioned: number;
  reads: 'primary' | 'replica';
}

export function minisqlOptions(raw: Readonly<Record<string, unknown>>): MinisqlOptions {
  const reads = raw.reads === undefined ? 'primary' : scalarText(raw.reads, 'database.reads');
  if (reads !== 'primary' && reads !== 'replica') throw new JepsenError('INVALID_TEST_CONFIG', `database.reads must be primary or replica, not ${reads}`);
  const masters = Number(raw.masters ?? 1);
  if (masters !== 1 && masters !== 2) throw new JepsenError('INVALID_TEST_CONFIG', `database.masters must be 1 or 2, not ${String(raw.masters)}`);
  return {
    root: raw.root === undefined ? THIS_CHECKOUT : scalarText(raw.root, 'database.root'),
    dir: raw.dir === undefined ? '/tmp/minisql-jepsen' : scalarText(raw.dir, 'database.dir'),
    leaseTtlSeconds: Number(raw.lease_ttl_seconds ?? 2),
    replicationFactor: Number(raw.replication_factor ?? 2),
    strictReplication: raw.strict_replication === true,
    masters,
    tables: Number(raw.tables ?? 2),
    keysProvisioned: Number(raw.keys_provisioned ?? 2_000),
    reads,
  };
}
