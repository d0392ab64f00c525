/**
 * How long this region may still act as primary: until the lease it last renewed could
 * have expired, and never longer than PRIMARY_VALIDITY_MS_MAX after the renewal was sent.
 * A keep-alive sent at t and answered with a TTL of s seconds keeps the lease at least
 * until t + s (etcd restarts the TTL when it receives the request, which is after t); a
 * margin covers clock drift.
 *
 * The cap is the fence a master relies on when it revokes the lease of a region it
 * believes dead (its connection was refused): whatever the region's TTL, a process still
 * alive stops serving within PRIMARY_VALIDITY_MS_MAX of its last answered renewal, and
 * renewals after the revocation are answered "lease not found". So the master promotes a
 * replica PRIMARY_FENCE_MS after revoking, not at once (a firewall's REJECT looks exactly
 * like a dead process), and not a whole TTL later either. The region renews every
 * FAST_KEEPALIVE_INTERVAL_MS to stay inside the cap. Pure over an injected monotonic clock.
 */
import { PRIMARY_VALIDITY_MS_MAX } from '@minisql/common';

export { FAST_KEEPALIVE_INTERVAL_MS, PRIMARY_FENCE_MS, PRIMARY_VALIDITY_MS_MAX } from '@minisql/common';
export const LEASE_MARGIN_MS = 300;

export class LeaseClock {
  /** When the keep-alive now in flight was sent; undefined when none is. */
  private sentAtMs: number | undefined;
  /** The lease is certainly valid before this time. */
  private validUntilMs = 0;
  /** Told when a renewal is answered (callers waiting for the lease to be confirmed again). */
  private readonly renewalListeners = new Set<() => void>();
  private lostForGood = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Milliseconds on this clock, for a caller that measures a request of its own. */
  nowMs(): number {
    return this.now();
  }

  /**
   * A lease now owns the region's key: it was granted by a request sent at `sentAtMs`
   * with a TTL of `ttlSeconds`. Only from here on does the clock count as valid; a lease
   * granted and then refused the key (a duplicate) never makes it so.
   */
  owned(sentAtMs: number, ttlSeconds: number): void {
    this.sentAtMs = undefined;
    this.lostForGood = false;
    this.renewed(sentAtMs, ttlSeconds);
  }

  /** A renewal of the owning lease, sent at `sentAtMs`, was answered with `ttlSeconds` left. */
  renewed(sentAtMs: number, ttlSeconds: number): void {
    if (ttlSeconds <= 0) {
      this.lost();
      return;
    }
    const lasts = Math.min(ttlSeconds * 1_000 - LEASE_MARGIN_MS, PRIMARY_VALIDITY_MS_MAX);
    this.validUntilMs = Math.max(this.validUntilMs, sentAtMs + lasts);
    for (const listener of [...this.renewalListeners]) listener();
  }

  /** Calls `listener` after each answered renewal, and when the lease is lost; returns the function that stops it. */
  onRenewal(listener: () => void): () => void {
    this.renewalListeners.add(listener);
    return () => void this.renewalListeners.delete(listener);
  }

  /** Keeps the earliest unanswered send: an answer may belong to any request in flight. */
  keepaliveSent(): void {
    this.sentAtMs ??= this.now();
  }

  keepaliveAnswered(ttlSeconds: number): void {
    if (this.sentAtMs === undefined) return;
    const sentAt = this.sentAtMs;
    this.sentAtMs = undefined;
    this.renewed(sentAt, ttlSeconds);
  }

  /** The lease was lost or revoked: nothing may be acknowledged any more. */
  lost(): void {
    this.validUntilMs = 0;
    this.lostForGood = true;
    for (const listener of [...this.renewalListeners]) listener();
  }

  /** True once a renewal said the lease is gone (until a lease owns the key again). */
  get isLost(): boolean {
    return this.lostForGood;
  }

  valid(): boolean {
    return this.now() < this.validUntilMs;
  }

  /** Milliseconds the lease certainly has left (0 when it may have expired). */
  remainingMs(): number {
    return Math.max(0, this.validUntilMs - this.now());
  }
}
