/**
 * One-time FTP logins, one per table copy. The primary makes one with the snapshots a
 * catching-up replica asked for and hands it over the replica's authenticated gRPC call,
 * so no password sits in a configuration file and a login opens only its own files. It
 * ends when the replica joins, when the replica asks again, or after SNAPSHOT_MAX_AGE_MS.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SNAPSHOT_MAX_AGE_MS } from './snapshot-store.js';

export interface FtpLogin {
  user: string;
  password: string;
}

interface Grant extends FtpLogin {
  replica: string;
  files: ReadonlySet<string>;
  expiresAtMs: number;
}

export class FtpLogins {
  private readonly byUser = new Map<string, Grant>();

  constructor(private readonly lifetimeMs = SNAPSHOT_MAX_AGE_MS) {}

  /** A fresh login for `replica` that reads `files` only; the replica's earlier logins end. */
  issue(replica: string, files: readonly string[], nowMs = Date.now()): FtpLogin {
    this.revokeFor(replica);
    this.removeExpired(nowMs);
    const login = { user: `copy-${randomBytes(6).toString('hex')}`, password: randomBytes(24).toString('base64url') };
    this.byUser.set(login.user, { ...login, replica, files: new Set(files), expiresAtMs: nowMs + this.lifetimeMs });
    return login;
  }

  /** The files a login may read, or undefined when the user and password do not match a live login. */
  check(user: string, password: string, nowMs = Date.now()): ReadonlySet<string> | undefined {
    const grant = this.byUser.get(user);
    if (!grant || grant.expiresAtMs <= nowMs) return undefined;
    const given = Buffer.from(password);
    const expected = Buffer.from(grant.password);
    return given.length === expected.length && timingSafeEqual(given, expected) ? grant.files : undefined;
  }

  /** Ends a login whose password was sent where it could be read (a login without TLS). */
  revoke(user: string): void {
    this.byUser.delete(user);
  }

  revokeFor(replica: string): void {
    for (const [user, grant] of this.byUser) if (grant.replica === replica) this.byUser.delete(user);
  }

  get size(): number {
    return this.byUser.size;
  }

  private removeExpired(nowMs: number): void {
    for (const [user, grant] of this.byUser) if (grant.expiresAtMs <= nowMs) this.byUser.delete(user);
  }
}
