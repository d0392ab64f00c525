/**
 * The etcd key layout, under a configurable prefix (default /minisql/):
 *   regions/<regionId>  RegionRecord, attached to the region's lease
 *   groups/<groupId>    GroupRecord, durable
 *   tables/<tableKey>   TableRecord, durable (tableKey is the lower-case name)
 *   placements/<tableKey>  PlacementRecord: the group serving the table, written with
 *                       the table record in one transaction; small, so every region
 *                       reads them all (a region serves a table only where it is placed)
 *   master/election     the etcd election of the active master
 *   events/<seq>        cluster events for the status page, durable, trimmed
 */
import { nameKey } from './sql-names.js';

export class EtcdKeys {
  constructor(readonly prefix: string) {}

  get regions(): string {
    return `${this.prefix}regions/`;
  }

  region(regionId: string): string {
    return `${this.regions}${regionId}`;
  }

  get groups(): string {
    return `${this.prefix}groups/`;
  }

  group(groupId: string): string {
    return `${this.groups}${groupId}`;
  }

  get tables(): string {
    return `${this.prefix}tables/`;
  }

  table(name: string): string {
    return `${this.tables}${nameKey(name)}`;
  }

  get placements(): string {
    return `${this.prefix}placements/`;
  }

  placement(name: string): string {
    return `${this.placements}${nameKey(name)}`;
  }

  get users(): string {
    return `${this.prefix}users/`;
  }

  user(name: string): string {
    return `${this.users}${nameKey(name)}`;
  }

  get election(): string {
    return `${this.prefix}master/election`;
  }

  get events(): string {
    return `${this.prefix}events/`;
  }

  /** Event keys sort by sequence number: zero-padded. */
  event(sequence: number): string {
    return `${this.events}${String(sequence).padStart(12, '0')}`;
  }
}
