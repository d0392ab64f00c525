/**
 * The durable facts of the cluster, as stored (JSON) under the keys of etcd-keys.ts.
 * Parsing checks the shape, so a corrupt or foreign value is an error naming its key,
 * never a crash further on.
 */
import { errors } from './errors.js';
import type { TableDefinition } from './table-definition.js';

export interface RegionRecord {
  id: string;
  /** Host name from the cluster configuration. */
  host: string;
  grpcAddress: string;
  ftpAddress: string;
  /** Unique per process start: tells a restarted region from its previous run. */
  incarnation: string;
  startedAtMs: number;
  /** The etcd lease holding this record (decimal); the master revokes it when the process is gone. */
  leaseId?: string;
}

export interface GroupRecord {
  id: string;
  /** Bumped on every change of primary; replication messages carry it. */
  epoch: number;
  /** Region id of the primary. */
  primary: string;
  /**
   * The process (incarnation) that became primary. A restarted primary is another
   * process: it may hold writes it never replicated, so it does not lead until the
   * master decides again.
   */
  primaryIncarnation?: string;
  /** Replicas that have every acknowledged write (primary not included). */
  inSync: string[];
  /** Replicas still copying; never promoted. */
  catchingUp: string[];
  /**
   * The assignment each catching-up replica copies under, by region id: a new id each time
   * it is put into `catchingUp` (catch-up-assignments.ts). Absent in records written before.
   */
  assignments?: Record<string, string>;
}

export interface IndexRecord {
  name: string;
  columns: string[];
  unique: boolean;
}

export type TableState = 'creating' | 'ready' | 'dropping';

export interface TableRecord {
  name: string;
  definition: TableDefinition;
  /** The create statement as the user typed it; regions execute it. */
  createSql: string;
  group: string;
  state: TableState;
  indexes: IndexRecord[];
  /** A move under way (`move table`): the group receiving the table; `group` serves it until the switch. */
  movingTo?: string;
}

/**
 * Which group serves a table: the table record's `group` and `movingTo`, kept under a key
 * of its own (written in the same transaction) so that regions can read every table's
 * placement without the definitions. A region serves a table's statements only when
 * `group` is its own.
 */
export interface PlacementRecord {
  table: string;
  group: string;
  movingTo?: string;
}

export function placementOf(record: TableRecord): PlacementRecord {
  return { table: record.name, group: record.group, ...(record.movingTo === undefined ? {} : { movingTo: record.movingTo }) };
}

/** Group ids in their numeric order: g2 before g10. */
export function compareGroupIds(a: string, b: string): number {
  return a.length - b.length || a.localeCompare(b);
}

/** Every region of a group, primary first. */
export function groupMembers(group: GroupRecord): string[] {
  return [group.primary, ...group.inSync, ...group.catchingUp];
}

function parse(key: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.internal(`etcd key ${key} does not hold JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw errors.internal(`etcd key ${key} does not hold an object`);
  return value as Record<string, unknown>;
}

function require(key: string, ok: boolean, field: string): void {
  if (!ok) throw errors.internal(`etcd key ${key} has a bad or missing field ${field}`);
}

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function parseRegionRecord(key: string, text: string): RegionRecord {
  const value = parse(key, text);
  for (const field of ['id', 'host', 'grpcAddress', 'ftpAddress', 'incarnation']) require(key, typeof value[field] === 'string', field);
  require(key, typeof value.startedAtMs === 'number', 'startedAtMs');
  return value as unknown as RegionRecord;
}

export function parseGroupRecord(key: string, text: string): GroupRecord {
  const value = parse(key, text);
  require(key, typeof value.id === 'string', 'id');
  require(key, typeof value.epoch === 'number' && Number.isInteger(value.epoch), 'epoch');
  require(key, typeof value.primary === 'string', 'primary');
  require(key, isStringList(value.inSync), 'inSync');
  require(key, isStringList(value.catchingUp), 'catchingUp');
  require(key, value.assignments === undefined || isStringMap(value.assignments), 'assignments');
  return value as unknown as GroupRecord;
}

export function parseTableRecord(key: string, text: string): TableRecord {
  const value = parse(key, text);
  for (const field of ['name', 'createSql', 'group']) require(key, typeof value[field] === 'string', field);
  require(key, value.state === 'creating' || value.state === 'ready' || value.state === 'dropping', 'state');
  require(key, typeof value.definition === 'object' && value.definition !== null, 'definition');
  require(key, Array.isArray(value.indexes), 'indexes');
  return value as unknown as TableRecord;
}

export function parsePlacementRecord(key: string, text: string): PlacementRecord {
  const value = parse(key, text);
  for (const field of ['table', 'group']) require(key, typeof value[field] === 'string', field);
  require(key, value.movingTo === undefined || typeof value.movingTo === 'string', 'movingTo');
  return value as unknown as PlacementRecord;
}
