/**
 * Makes a write's effect a function of its log entry alone, so a replica that executes
 * the entry again ends in exactly the primary's state. SQLite's non-deterministic SQL
 * functions are replaced on every table file's connection (an application-defined
 * function takes precedence over a built-in of the same name):
 * - time: `'now'` and the argument-less forms of date(), time(), datetime(),
 *   julianday(), unixepoch(), strftime(), timediff(), and current_date, current_time,
 *   current_timestamp read the write's clock, fixed once per write on the primary and
 *   carried in its log entry (MySQL's statement replication carries its TIMESTAMP so);
 * - random() and randomblob(n) draw from a ChaCha20 stream keyed by the write's seed,
 *   drawn from the OS on the primary at the write's first call and carried in its entry;
 * - refused in writes, as NON_DETERMINISTIC naming the function: changes(),
 *   total_changes() and last_insert_rowid() (they report what the connection ran before,
 *   which a replica does not share) and the 'localtime' and 'utc' modifiers (they depend
 *   on the host's time zone).
 * Within one statement 'now' is one instant, as in SQLite. Reads use the time at which
 * they start and the OS's randomness; they are not replicated.
 */
import Database from 'better-sqlite3';
import { createCipheriv, createHash, randomBytes, type Cipher } from 'node:crypto';
import { errors } from '@minisql/common';

/** What a replica needs to repeat a write's non-deterministic inputs. */
export interface WriteInputs {
  /** The write's clock, in milliseconds since the Unix epoch. */
  nowMs: number;
  /** Hex of the seed random() and randomblob() drew from; '' when the write drew nothing. */
  seed: string;
}

type Mode = 'read' | 'write' | 'replay';

/** Bytes of a seed drawn on the primary. */
const SEED_BYTES = 16;
/** Largest randomblob(n) served, in bytes (SQLite's own limit is a gigabyte). */
export const RANDOMBLOB_BYTES_MAX = 16 * 1024 * 1024;
const ZERO_IV = Buffer.alloc(16);

/** Functions whose first argument (second for strftime) is a time value; all of timediff's are. */
const TIME_FUNCTIONS: ReadonlyArray<{ name: string; timeArgs: readonly number[]; nowWhenArgs: number }> = [
  { name: 'date', timeArgs: [0], nowWhenArgs: 0 },
  { name: 'time', timeArgs: [0], nowWhenArgs: 0 },
  { name: 'datetime', timeArgs: [0], nowWhenArgs: 0 },
  { name: 'julianday', timeArgs: [0], nowWhenArgs: 0 },
  { name: 'unixepoch', timeArgs: [0], nowWhenArgs: 0 },
  { name: 'strftime', timeArgs: [1], nowWhenArgs: 1 },
  { name: 'timediff', timeArgs: [0, 1], nowWhenArgs: -1 },
];
const CURRENT_KEYWORDS: ReadonlyArray<[string, string]> = [
  ['current_date', 'date'],
  ['current_time', 'time'],
  ['current_timestamp', 'datetime'],
];
const CONNECTION_STATE_FUNCTIONS: readonly string[] = ['changes', 'total_changes', 'last_insert_rowid'];
const ZONE_MODIFIERS = new Set(['localtime', 'utc']);

/**
 * SQLite's own date functions, on a private in-memory connection where they are not
 * replaced; the replacements call them with 'now' turned into the write's fixed time.
 */
class BuiltinDates {
  private readonly db = new Database(':memory:');
  private readonly statements = new Map<string, Database.Statement>();

  call(name: string, args: readonly unknown[]): unknown {
    const key = `${name}/${args.length}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      statement = this.db.prepare(`SELECT ${name}(${args.map(() => '?').join(', ')})`).pluck();
      this.statements.set(key, statement);
    }
    return statement.get(...args);
  }
}

let builtins: BuiltinDates | undefined;

/** The non-deterministic inputs of the statement running on one connection. */
export class StatementEnvironment {
  private mode: Mode = 'read';
  private nowMs = 0;
  private seed: Buffer | undefined;
  private stream: Cipher | undefined;

  /** A read starts: 'now' is this moment for the whole statement. */
  beginRead(nowMs = Date.now()): void {
    if (this.mode !== 'read') return; // a statement inside a write keeps the write's inputs
    this.nowMs = nowMs;
    this.stream = undefined;
    this.seed = undefined;
  }

  /** A write starts on the primary: its clock is fixed now, a seed drawn if it needs one. */
  beginWrite(nowMs = Date.now()): void {
    this.mode = 'write';
    this.nowMs = nowMs;
    this.seed = undefined;
    this.stream = undefined;
  }

  /** A logged write is executed again (on a replica): the primary's inputs, exactly. */
  beginReplay(inputs: WriteInputs): void {
    this.mode = 'replay';
    this.nowMs = inputs.nowMs;
    this.seed = inputs.seed === '' ? undefined : Buffer.from(inputs.seed, 'hex');
    this.stream = undefined;
  }

  /** The write ends: the inputs it used, for its log entry. */
  end(): WriteInputs {
    const inputs = { nowMs: this.nowMs, seed: this.seed?.toString('hex') ?? '' };
    this.mode = 'read';
    this.seed = undefined;
    this.stream = undefined;
    return inputs;
  }

  /** Replaces SQLite's non-deterministic functions on `db` with ones reading this environment. */
  install(db: Database.Database): void {
    for (const { name, timeArgs, nowWhenArgs } of TIME_FUNCTIONS) {
      db.function(name, { varargs: true }, (...args: unknown[]) => this.time(name, args, timeArgs, nowWhenArgs));
    }
    for (const [keyword, as] of CURRENT_KEYWORDS) {
      db.function(keyword, { varargs: false }, () => this.time(as, [], [0], 0));
    }
    db.function('random', { varargs: false }, () => this.randomBytes(8, 'random()').readBigInt64LE(0));
    db.function('randomblob', { varargs: false }, (n: unknown) => this.randomBytes(blobLength(n), 'randomblob()'));
    for (const name of CONNECTION_STATE_FUNCTIONS) {
      db.function(name, { varargs: false }, () => {
        throw errors.nonDeterministic(`${name}()`, 'it reports what the connection ran before, which differs between the members of a group');
      });
    }
  }

  private time(name: string, args: unknown[], timeArgs: readonly number[], nowWhenArgs: number): unknown {
    const values = args.length === nowWhenArgs ? [...args, this.nowText()] : [...args];
    timeArgs.forEach((index) => {
      const value = values[index];
      // Exactly 'now' in any case, as SQLite reads it.
      if (typeof value === 'string' && value.toLowerCase() === 'now') values[index] = this.nowText();
    });
    if (this.mode !== 'read') {
      for (let i = 0; i < values.length; i += 1) {
        const value = values[i];
        if (!timeArgs.includes(i) && typeof value === 'string' && ZONE_MODIFIERS.has(value.trim().toLowerCase())) {
          throw errors.nonDeterministic(
            `the '${value.trim()}' modifier of ${name}()`,
            "it depends on the host's time zone, which the members of a group need not share",
          );
        }
      }
    }
    builtins ??= new BuiltinDates();
    return builtins.call(name, values);
  }

  /** The fixed time as SQLite reads it: 'YYYY-MM-DD HH:MM:SS.SSS', UTC, to the millisecond. */
  private nowText(): string {
    return new Date(this.nowMs).toISOString().slice(0, 23).replace('T', ' ');
  }

  private randomBytes(count: number, what: string): Buffer {
    if (this.mode === 'read') return randomBytes(count);
    if (this.seed === undefined) {
      if (this.mode === 'replay') throw errors.replicaDiverged(what, 'the primary drew no random values for this write, this member does');
      this.seed = randomBytes(SEED_BYTES);
    }
    this.stream ??= createCipheriv('chacha20', createHash('sha256').update(this.seed).digest(), ZERO_IV);
    return this.stream.update(Buffer.alloc(count));
  }
}

/** randomblob(n)'s length as SQLite reads it: at least 1 byte. */
function blobLength(n: unknown): number {
  const value = typeof n === 'bigint' ? Number(n) : typeof n === 'number' ? n : Number(n);
  const length = Number.isFinite(value) ? Math.max(1, Math.trunc(value)) : 1;
  if (length > RANDOMBLOB_BYTES_MAX) throw errors.limitExceeded('randomblob() length in bytes', RANDOMBLOB_BYTES_MAX);
  return length;
}
