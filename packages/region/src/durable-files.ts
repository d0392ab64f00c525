/**
 * Making a file's creation or renaming survive a power loss: the file's bytes reach the
 * disk with fsync of the file, and its name (a new entry in, or a rename within, its
 * directory) with fsync of the directory. SQLite syncs its own commits; files made or
 * moved outside it (a new table file, a downloaded snapshot) need these.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a file's contents to disk. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes the directory holding `path`, so a file created, renamed or removed there stays so. */
export function fsyncParentDirectory(path: string): void {
  fsyncFile(dirname(path));
}
