/**
 * Backup and restore of every table, through the cluster's own client and an admin login.
 * A backup is a folder: one SQL file per table (its CREATE TABLE, indexes and rows, read
 * on its primary from a snapshot at one log position) and manifest.json with each
 * table's group, position, rows, size and SHA-256. The set is consistent table by table,
 * NOT as a whole: each table is at its own position, taken one after another, so a write
 * that changed two tables may be in one file and not the other. Restore checks every
 * file against the manifest before it changes anything, refuses a cluster that already
 * holds one of the tables, and runs the files through the normal write path, so the
 * restored rows are replicated like any other.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterClient } from '@minisql/client';
import { errors, nameKey, sha256Of, splitStatements } from '@minisql/common';

export const MANIFEST_FILE = 'manifest.json';
export const CONSISTENCY = 'table by table: each table is at its own log position; the tables are not consistent with one another';

export interface BackupManifest {
  format: 1;
  takenAt: string;
  consistency: string;
  tables: Array<{ name: string; group: string; position: number; rows: number; file: string; bytes: number; sha256: string }>;
}

export async function backupCluster(client: ClusterClient, dir: string, progress: (line: string) => void = () => undefined): Promise<BackupManifest> {
  if (existsSync(join(dir, MANIFEST_FILE))) throw errors.invalidArgument(`backup folder ${dir}`, 'it already holds a backup: choose an empty folder');
  mkdirSync(dir, { recursive: true });
  const status = await client.clusterStatus();
  const tables = status.groups.flatMap((group) => group.tables.map((name) => ({ name, group: group.group_id }))).sort((a, b) => a.name.localeCompare(b.name));
  const manifest: BackupManifest = { format: 1, takenAt: new Date().toISOString(), consistency: CONSISTENCY, tables: [] };
  for (const { name, group } of tables) {
    const file = `${nameKey(name)}.sql`;
    const handle = await open(join(dir, file), 'w', 0o600);
    let offset = 0;
    let rows = 0;
    let position = 0;
    try {
      await client.backupTable(name, async (part, fresh) => {
        if (fresh) {
          await handle.truncate(0);
          offset = 0;
          rows = 0;
        }
        position = Number(part.position);
        rows += Number(part.rows);
        const text = part.statements.map((statement) => `${statement}\n`).join('');
        offset += (await handle.write(text, offset)).bytesWritten;
      });
    } finally {
      await handle.close();
    }
    const sha256 = await sha256Of(join(dir, file));
    manifest.tables.push({ name, group, position, rows, file, bytes: offset, sha256 });
    progress(`${name}: ${rows.toLocaleString('en')} rows at position ${position} (${(offset / 1e6).toFixed(1)} MB)`);
  }
  // The manifest last, and whole: a folder without one is not a backup.
  writeFileSync(join(dir, `${MANIFEST_FILE}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  renameSync(join(dir, `${MANIFEST_FILE}.tmp`), join(dir, MANIFEST_FILE));
  return manifest;
}

export async function restoreCluster(client: ClusterClient, dir: string, progress: (line: string) => void = () => undefined): Promise<BackupManifest> {
  const manifest = readManifest(dir);
  for (const table of manifest.tables) {
    const path = join(dir, table.file);
    if (!existsSync(path)) throw errors.fileError(path, `table \`${table.name}\`'s file is missing from the backup`);
    if (statSync(path).size !== table.bytes || (await sha256Of(path)) !== table.sha256)
      throw errors.fileError(path, `it is not the file the backup made (size or SHA-256 differs): the backup is damaged`);
  }
  const existing = new Set((await client.execute('show tables;')).rows.map((row) => nameKey(String(row[0]))));
  const clash = manifest.tables.find((table) => existing.has(nameKey(table.name)));
  if (clash) throw errors.tableExists(clash.name);
  for (const table of manifest.tables) {
    const { statements, rest } = splitStatements(readFileSync(join(dir, table.file), 'utf8'));
    if (rest.trim() !== '') throw errors.fileError(join(dir, table.file), 'it ends inside a statement: the backup is damaged');
    for (const statement of statements) await client.execute(statement.text);
    progress(`${table.name}: ${table.rows.toLocaleString('en')} rows restored (from position ${table.position} of group ${table.group})`);
  }
  return manifest;
}

export function readManifest(dir: string): BackupManifest {
  const path = join(dir, MANIFEST_FILE);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
  } catch (error) {
    throw errors.fileError(path, `no backup here: ${(error as Error).message}`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.tables)) throw errors.fileError(path, 'it is not a minisql backup manifest (format 1)');
  return manifest;
}
