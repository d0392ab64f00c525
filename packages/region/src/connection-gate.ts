/**
 * Connections on the region's port that are not admitted yet: in their TLS handshake,
 * or on the statement protocol waiting for their login. Each may stay up to the login
 * wait, so without a bound anyone who can reach the port could hold thousands of them
 * (a TLS socket and its state each) at no cost of their own. The gate bounds them per
 * host, so one host's flood leaves every other host served, and in all, so many hosts
 * together cannot fill the region either. A connection past a bound is closed at once.
 * An admitted connection (a cluster certificate, and on the statement protocol a login
 * sent) no longer counts: it holds a certificate of the cluster.
 */

export interface GateLimits {
  /** Connections not yet admitted from one host, at most. */
  perHostMax: number;
  /** Connections not yet admitted from all hosts together, at most. */
  totalMax: number;
}

/** Whether one more connection not yet admitted may be opened. Pure. */
export function mayWait(fromHost: number, total: number, limits: GateLimits): boolean {
  return fromHost < limits.perHostMax && total < limits.totalMax;
}

export class ConnectionGate {
  private readonly waiting = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: GateLimits) {}

  /**
   * Counts a new connection from `host` as waiting, or returns undefined when it must be
   * closed. The function returned stops counting it and says so; called again, it does
   * nothing and returns false.
   */
  enter(host: string): (() => boolean) | undefined {
    const fromHost = this.waiting.get(host) ?? 0;
    if (!mayWait(fromHost, this.total, this.limits)) return undefined;
    this.waiting.set(host, fromHost + 1);
    this.total += 1;
    let left = false;
    return () => {
      if (left) return false;
      left = true;
      this.total -= 1;
      const remaining = (this.waiting.get(host) ?? 1) - 1;
      if (remaining === 0) this.waiting.delete(host);
      else this.waiting.set(host, remaining);
      return true;
    };
  }

  /** Connections waiting now: from `host`, or from all hosts. */
  waitingFrom(host?: string): number {
    return host === undefined ? this.total : (this.waiting.get(host) ?? 0);
  }
}
