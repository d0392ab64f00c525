/**
 * Connections on a gated port (gated-tls-port.ts: the region's, the master's) that are
 * not admitted yet: in their TLS handshake, or on the region's statement protocol waiting
 * for their login. Each may stay up to the handshake or login wait, so without a bound anyone who can reach the port could hold thousands of them
 * (a TLS socket and its state each) at no cost of their own. The gate bounds them per
 * host, so one host's flood leaves every other host served, and in all. When all hosts
 * together hold the total, a newcomer takes the place of the oldest waiting connection of
 * the host holding the most (when that host holds at least two more than the newcomer's):
 * a few addresses flooding together cannot shut the port to everyone else. An admitted
 * connection (a cluster certificate, and on the statement protocol a login sent) no
 * longer counts: it holds a certificate of the cluster.
 *
 * Hosts are counted by address, an IPv4 address mapped into IPv6 as the IPv4 one, and an
 * IPv6 address by its /64: one machine commonly holds a whole /64.
 */
import { isIPv6 } from 'node:net';

export interface GateLimits {
  /** Connections not yet admitted from one host, at most. */
  perHostMax: number;
  /** Connections not yet admitted from all hosts together, at most. */
  totalMax: number;
}

/** What becomes of a new connection. */
export type Admission = 'wait' | 'refuse' | 'evict';

/**
 * Whether a new connection from a host holding `fromHost` may wait, with `total` waiting
 * in all and `most` held by the host holding the most: `evict` makes room by closing
 * that host's oldest. Pure.
 */
export function admission(fromHost: number, total: number, most: number, limits: GateLimits): Admission {
  if (fromHost >= limits.perHostMax) return 'refuse';
  if (total < limits.totalMax) return 'wait';
  return most >= fromHost + 2 ? 'evict' : 'refuse';
}

/** The host a peer address is counted under. Pure. */
export function hostKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  // Expand `::` so the first four groups are the /64.
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

interface Waiting {
  /** Closes the connection: it was chosen to make room. */
  evict: () => void;
  leave: () => boolean;
}

export class ConnectionGate {
  /** Waiting connections by host, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Map<string, Set<Waiting>>();
  private total = 0;

  constructor(private readonly limits: GateLimits) {}

  /**
   * Counts a new connection from `host` as waiting, or returns undefined when it must be
   * closed. `evict` closes it should it be chosen to make room for another host's. The
   * function returned stops counting it and says so; called again, it does nothing and
   * returns false.
   */
  enter(host: string, evict: () => void): (() => boolean) | undefined {
    const fromHost = this.waiting.get(host)?.size ?? 0;
    const most = this.total < this.limits.totalMax ? undefined : this.mostWaiting();
    const decision = admission(fromHost, this.total, most?.size ?? 0, this.limits);
    if (decision === 'refuse') return undefined;
    if (decision === 'evict' && most) {
      const oldest = most.values().next().value as Waiting;
      oldest.leave();
      oldest.evict();
    }
    const entries = this.waiting.get(host) ?? new Set<Waiting>();
    this.waiting.set(host, entries);
    let left = false;
    const entry: Waiting = {
      evict,
      leave: () => {
        if (left) return false;
        left = true;
        this.total -= 1;
        entries.delete(entry);
        if (entries.size === 0 && this.waiting.get(host) === entries) this.waiting.delete(host);
        return true;
      },
    };
    entries.add(entry);
    this.total += 1;
    return entry.leave;
  }

  /** Connections waiting now: from `host`, or from all hosts. */
  waitingFrom(host?: string): number {
    return host === undefined ? this.total : (this.waiting.get(host)?.size ?? 0);
  }

  private mostWaiting(): Set<Waiting> | undefined {
    let most: Set<Waiting> | undefined;
    for (const entries of this.waiting.values()) if (!most || entries.size > most.size) most = entries;
    return most;
  }
}
