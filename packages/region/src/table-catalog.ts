/**
 * The tables a region holds: one TableFile per table under `<dataDir>/tables`, and which
 * table owns each named index (so `drop index I` needs no table).
 */
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { errors, nameKey, type Logger, type TableDefinition } from '@minisql/common';
import { fsyncFile, fsyncParentDirectory } from './durable-files.js';
import { removeDatabaseFiles, TABLE_FILE_PARTIAL_SUFFIX, TABLE_FILE_SUFFIX, TableFile, type TableFileOptions } from './table-file.js';

export class TableCatalog {
  /** Open tables by nameKey. */
  private readonly tables = new Map<string, TableFile>();
  /** nameKey of each explicit index -> nameKey of its table. */
  private readonly indexOwners = new Map<string, string>();
  private readonly directory: string;
  /** Told when a table's file appears or goes (create, drop, a snapshot put in place). */
  private readonly fileListeners: Array<(table: string) => void> = [];

  constructor(
    dataDir: string,
    private readonly options: TableFileOptions,
    private readonly logger: Logger,
  ) {
    this.directory = join(dataDir, 'tables');
  }

  /** Opens every table file; removes files a crash left half-made. */
  load(): void {
    mkdirSync(this.directory, { recursive: true });
    for (const entry of readdirSync(this.directory)) {
      const path = join(this.directory, entry);
      if (entry.includes('.corrupt')) continue; // set aside at an earlier start, kept for inspection
      if (entry.endsWith(TABLE_FILE_PARTIAL_SUFFIX) || entry.endsWith('.dropped')) {
        removeDatabaseFiles(path);
        this.logger.warn('removed an incomplete table file', { path });
      } else if (entry.endsWith(TABLE_FILE_SUFFIX)) {
        this.openOrSetAside(path);
      }
    }
    this.logger.info('tables loaded', { tables: this.tables.size, directory: this.directory });
  }

  /** Calls `listener` with the table's name whenever its file appears or goes. */
  onFileChange(listener: (table: string) => void): void {
    this.fileListeners.push(listener);
  }

  /** Table files found unreadable at start and set aside (`<file>.corrupt`), with why. */
  readonly setAside: Array<{ path: string; reason: string }> = [];

  /**
   * Opens a table file; one that cannot be opened (not a database, damaged) is renamed to
   * `<file>.corrupt` and reported, and the region starts without it, instead of failing
   * to start again and again. In a group the table comes back with a fresh copy: a
   * replica that lacks it fails the next write to it and copies the group's tables; a
   * restarted primary is replaced by a replica and copies as a spare.
   */
  private openOrSetAside(path: string): void {
    try {
      this.add(TableFile.open(path, this.options));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const aside = `${path}.corrupt`;
      renameSync(path, aside);
      for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
      this.setAside.push({ path: aside, reason });
      this.logger.error('a table file cannot be opened; it was set aside and the region starts without it', { path: aside, reason });
    }
  }

  get(name: string): TableFile | undefined {
    return this.tables.get(nameKey(name));
  }

  require(name: string): TableFile {
    const table = this.get(name);
    if (!table) throw errors.tableNotFound(name);
    return table;
  }

  list(): TableFile[] {
    return [...this.tables.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  create(definition: TableDefinition): TableFile {
    if (this.get(definition.name)) throw errors.tableExists(definition.name);
    const table = TableFile.create(join(this.directory, TableFile.fileName(definition.name)), definition, this.options);
    this.add(table);
    this.changed(table.name);
    return table;
  }

  /** Closes and deletes the table's file; renaming first makes the drop atomic on disk. */
  drop(name: string): void {
    const table = this.require(name);
    this.changed(table.name);
    table.close();
    this.tables.delete(nameKey(name));
    for (const [index, owner] of this.indexOwners) if (owner === nameKey(name)) this.indexOwners.delete(index);
    const dropped = `${table.path}.dropped`;
    renameSync(table.path, dropped);
    fsyncParentDirectory(table.path);
    removeDatabaseFiles(table.path);
    removeDatabaseFiles(dropped);
  }

  /**
   * Puts a complete table file (a snapshot copied from the primary) in place of the
   * table of that name, if any. The file is renamed into place, so a crash leaves
   * either the old table or the new one.
   */
  install(name: string, file: string): TableFile {
    if (this.get(name)) this.drop(name);
    const path = join(this.directory, TableFile.fileName(name));
    // The copy was written without syncs: its bytes, then its name, on disk before it serves.
    fsyncFile(file);
    renameSync(file, path);
    fsyncParentDirectory(path);
    const table = TableFile.open(path, this.options);
    this.add(table);
    this.changed(table.name);
    return table;
  }

  indexOwner(index: string): TableFile | undefined {
    const owner = this.indexOwners.get(nameKey(index));
    return owner === undefined ? undefined : this.tables.get(owner);
  }

  addIndex(index: string, table: TableFile): void {
    this.indexOwners.set(nameKey(index), nameKey(table.name));
  }

  removeIndex(index: string): void {
    this.indexOwners.delete(nameKey(index));
  }

  close(): void {
    for (const table of this.tables.values()) table.close();
    this.tables.clear();
    this.indexOwners.clear();
  }

  private changed(table: string): void {
    for (const listener of this.fileListeners) listener(table);
  }

  private add(table: TableFile): void {
    this.tables.set(nameKey(table.name), table);
    for (const index of table.explicitIndexes()) this.indexOwners.set(nameKey(index.name), nameKey(table.name));
  }
}
