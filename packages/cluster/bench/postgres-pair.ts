/**
 * PostgreSQL 15 as the bench's second baseline: a primary and one synchronous standby on
 * loopback, in a temporary folder, started and removed by the bench. The settings are the
 * ones a replicated PostgreSQL runs with when it promises what minisql promises: every
 * commit flushed (`fsync = on`, `synchronous_commit = on`) and acknowledged by the standby
 * (`synchronous_standby_names`) before the client hears OK.
 *
 * PostgreSQL refuses to run as root, so as root every command runs as the `postgres`
 * user (Debian's package creates it).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian's postgresql-15 puts its programs. */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
/** Bound on the standby reaching the synchronous state after it starts. */
const STANDBY_SYNC_MS_MAX = 30_000;

export interface PostgresPair {
  /** Connection settings of the primary. */
  primary: { host: string; port: number; user: string; database: string };
  dataDir: string;
  stop(): void;
}

export function postgresAvailable(): boolean {
  return existsSync(join(POSTGRES_BIN, 'postgres'));
}

/** Runs a PostgreSQL program, as the postgres user when this process is root. */
function run(program: string, args: string[]): string {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(POSTGRES_BIN, program), ...args]] : [join(POSTGRES_BIN, program), args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts a primary on `primaryPort` and a synchronous standby on `standbyPort`; resolves once the standby is in sync. */
export async function startPostgresPair(primaryPort: number, standbyPort: number): Promise<PostgresPair> {
  const dataDir = mkdtempSync(join(tmpdir(), 'minisql-bench-postgres-'));
  if (process.getuid?.() === 0)
    chownSync(
      dataDir,
      Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    );
  const primaryDir = join(dataDir, 'primary');
  const standbyDir = join(dataDir, 'standby');
  const started: string[] = [];
  const stop = (): void => {
    for (const dir of started.reverse()) {
      try {
        run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
    }
    started.length = 0;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', primaryDir, '-A', 'trust', '-U', 'postgres', '--no-instructions']);
    appendFileSync(
      join(primaryDir, 'postgresql.conf'),
      [
        `port = ${primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dataDir}'`,
        'max_connections = 200',
        'shared_buffers = 128MB',
        'wal_level = replica',
        'max_wal_senders = 4',
        'fsync = on',
        'synchronous_commit = on',
        "synchronous_standby_names = 'standby'",
        '',
      ].join('\n'),
    );
    run('pg_ctl', ['-D', primaryDir, '-l', join(dataDir, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyDir, '-R']);
    const standbyConf = join(standbyDir, 'postgresql.auto.conf');
    appendFileSync(standbyConf, `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=standby'\nport = ${standbyPort}\n`);
    run('pg_ctl', ['-D', standbyDir, '-l', join(dataDir, 'standby.log'), '-w', 'start']);
    started.push(standbyDir);
    const primary = { host: '127.0.0.1', port: primaryPort, user: 'postgres', database: 'postgres' };
    await waitForSyncStandby(primary);
    return { primary, dataDir, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

async function waitForSyncStandby(primary: PostgresPair['primary']): Promise<void> {
  const client = new pg.Client(primary);
  await client.connect();
  try {
    const deadline = Date.now() + STANDBY_SYNC_MS_MAX;
    for (;;) {
      const { rows } = await client.query<{ sync_state: string }>("select sync_state from pg_stat_replication where application_name = 'standby'");
      if (rows[0]?.sync_state === 'sync') return;
      if (Date.now() > deadline)
        throw new Error(
          `the PostgreSQL standby did not become synchronous within ${STANDBY_SYNC_MS_MAX} ms (state: ${rows[0]?.sync_state ?? 'not connected'})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

/** The settings, printed beside the figures. */
export const POSTGRES_SETTINGS = 'PostgreSQL 15, primary + 1 synchronous standby on loopback, fsync = on, synchronous_commit = on';
