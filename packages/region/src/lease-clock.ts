/**
 * How long this region may still act as primary: until the lease it last renewed could
 * have expired. A keep-alive sent at t and answered with a TTL of s seconds keeps the
 * lease at least until t + s (etcd restarts the TTL when it receives the request, which is
 * after t); a margin covers clock drift. Pure over an injected monotonic clock.
 */
export const LEASE_MARGIN_MS = 300;

export class LeaseClock {
  /** When the keep-alive now in flight was sent; undefined when none is. */
  private sentAtMs: number | undefined;
  /** The lease is certainly valid before this time. */
  private validUntilMs = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Keeps the earliest unanswered send: an answer may belong to any request in flight. */
  keepaliveSent(): void {
    this.sentAtMs ??= this.now();
  }

  keepaliveAnswered(ttlSeconds: number): void {
    if (this.sentAtMs === undefined) return;
    this.validUntilMs = Math.max(this.validUntilMs, this.sentAtMs + ttlSeconds * 1_000 - LEASE_MARGIN_MS);
    this.sentAtMs = undefined;
  }

  /** The lease was lost or revoked: nothing may be acknowledged any more. */
  lost(): void {
    this.validUntilMs = 0;
  }

  valid(): boolean {
    return this.now() < this.validUntilMs;
  }

  /** Milliseconds the lease certainly has left (0 when it may have expired). */
  remainingMs(): number {
    return Math.max(0, this.validUntilMs - this.now());
  }
}
