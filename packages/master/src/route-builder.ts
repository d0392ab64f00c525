/** Routes and status messages built from the cluster view. Pure. */
import {
  errors,
  groupMembers,
  nameKey,
  toProtoValue,
  type ClusterStatusResponse,
  type CopyUnderWay,
  type MiniSqlError,
  type MoveUnderWay,
  type Route,
  type TableDefinition,
  type TableInfo,
  type TableRecord,
  compareGroupIds,
} from '@minisql/common';
import type { ClusterView } from './cluster-view.js';

/** The route of a ready table, or the error saying why there is none. */
export function routeOf(view: ClusterView, table: string): Route | MiniSqlError {
  const record = view.tables.get(nameKey(table));
  if (!record || record.state !== 'ready') return errors.tableNotFound(table);
  return routeOfRecord(view, record);
}

function routeOfRecord(view: ClusterView, record: TableRecord): Route | MiniSqlError {
  const group = view.groups.get(record.group);
  if (!group) return errors.noRoute(record.name, `its group ${record.group} does not exist`);
  const address = (id: string) => ({ region_id: id, grpc_address: view.regions.get(id)?.grpcAddress ?? '' });
  return {
    table: record.name,
    group_id: group.id,
    epoch: group.epoch,
    primary: address(group.primary),
    replicas: [...group.inSync, ...group.catchingUp].map(address),
  };
}

function schemaOf(definition: TableDefinition) {
  return {
    name: definition.name,
    primary_key: definition.primaryKey,
    columns: definition.columns.map((column) => ({
      name: column.name,
      type: column.type.base,
      length: column.type.length,
      not_null: column.notNull,
      unique: column.unique,
      has_default: column.defaultValue !== undefined,
      ...(column.defaultValue === undefined ? {} : { default_value: toProtoValue(column.defaultValue) }),
    })),
  };
}

export function tableInfos(view: ClusterView): TableInfo[] {
  return [...view.tables.values()]
    .filter((record) => record.state === 'ready')
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((record) => {
      const route = routeOfRecord(view, record);
      return { schema: schemaOf(record.definition), ...('table' in route ? { route } : {}) };
    });
}

/** What the master sees under way beside the view: copies (from the regions' beats) and its own table moves. */
export interface ClusterActivity {
  copies: ReadonlyMap<string, CopyUnderWay>;
  moves: readonly MoveUnderWay[];
}

const NO_ACTIVITY: ClusterActivity = { copies: new Map(), moves: [] };

export function clusterStatus(view: ClusterView, masterId: string, activity: ClusterActivity = NO_ACTIVITY): ClusterStatusResponse {
  const groupOf = new Map<string, string>();
  for (const group of view.groups.values()) for (const member of groupMembers(group)) groupOf.set(member, group.id);
  const ids = new Set([...view.regions.keys(), ...groupOf.keys()]);
  return {
    master_id: masterId,
    regions: [...ids].sort().map((id) => {
      const record = view.regions.get(id);
      return {
        region_id: id,
        host: record?.host ?? '',
        grpc_address: record?.grpcAddress ?? '',
        ftp_address: record?.ftpAddress ?? '',
        incarnation: record?.incarnation ?? '',
        alive: record !== undefined,
        group_id: groupOf.get(id) ?? '',
        ...(activity.copies.has(id) ? { copy: activity.copies.get(id) } : {}),
      };
    }),
    groups: [...view.groups.values()]
      .sort((a, b) => compareGroupIds(a.id, b.id))
      .map((group) => ({
        group_id: group.id,
        epoch: group.epoch,
        primary: group.primary,
        in_sync: group.inSync,
        catching_up: group.catchingUp,
        tables: [...view.tables.values()]
          .filter((t) => t.group === group.id && t.state === 'ready')
          .map((t) => t.name)
          .sort(),
      })),
    tables: tableInfos(view),
    moves: [...activity.moves],
  };
}
