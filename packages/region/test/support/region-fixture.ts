/**
 * Test fixture: a real region server process on a free loopback port, with its table
 * files in a fresh temporary directory, and a client connected to it over gRPC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReadyProcess, type MiniSqlError } from '@minisql/common';
import { MiniSqlClient, type QueryResult } from '@minisql/client';

/** dist/test/support -> dist/src/main.js */
export const REGION_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'main.js');

export class RegionFixture {
  private constructor(
    readonly dataDir: string,
    readonly process: ReadyProcess,
    readonly client: MiniSqlClient,
    private readonly ownsDataDir: boolean,
  ) {}

  /** Starts a region; with `dataDir`, reuses that directory (for restart tests). */
  static async start(dataDir?: string): Promise<RegionFixture> {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'minisql-region-'));
    const process = await ReadyProcess.start({
      script: REGION_MAIN,
      args: ['--id', 'test-region', '--listen', '127.0.0.1:0', '--data-dir', dir],
      env: { ...globalThis.process.env, MINISQL_LOG_LEVEL: 'warn' },
    });
    const client = await MiniSqlClient.connect({ regionAddress: process.address });
    return new RegionFixture(dir, process, client, dataDir === undefined);
  }

  get address(): string {
    return this.process.address;
  }

  execute(sql: string, params?: readonly (string | number | null)[]): Promise<QueryResult> {
    return this.client.execute(sql, params ? { params } : {});
  }

  /** Runs `sql` expecting failure; returns the error (and fails the test if it succeeded). */
  async fails(sql: string, params?: readonly (string | number | null)[]): Promise<MiniSqlError> {
    try {
      await this.execute(sql, params);
    } catch (error) {
      return error as MiniSqlError;
    }
    throw new Error(`expected an error from: ${sql}`);
  }

  /** Rows of a select, for assertions. */
  async rows(sql: string): Promise<unknown[][]> {
    return (await this.execute(sql)).rows;
  }

  /** Stops the process; keeps the directory when `keepData` (to start again on it). */
  async stop(keepData = false): Promise<void> {
    this.client.close();
    await this.process.stop();
    if (this.ownsDataDir && !keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
