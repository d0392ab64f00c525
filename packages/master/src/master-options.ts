/** What a master is configured with. */
import type { TlsIdentity } from '@minisql/common';
import type { GateLimits } from '@minisql/wire';

export interface MasterOptions {
  /** This master's certificate: mutual TLS on its gRPC server and on its calls to regions; plaintext without one. */
  tls?: TlsIdentity;
  /** Name of this master (its host name); shown in status and logs. */
  masterId: string;
  /** host:port the MasterService listens on. */
  listenAddress: string;
  /** host:port of the HTTP status page (and /metrics); HTTPS with `tls`. */
  statusAddress: string;
  /** The token the status page asks for, if any. */
  statusToken?: string;
  etcdEndpoints: string[];
  etcdPrefix: string;
  /** TTL of the election lease, in seconds: how long a dead master may hold the lead. */
  leaseTtlSeconds: number;
  replicationFactor: number;
  /** Whether tables move to a group as it forms, until the groups are even (`rebalance;` in the background). */
  rebalanceOnGroupFormed: boolean;
  /**
   * With `tls`: how long a caller has for its handshake, in milliseconds, and how many
   * connections may be in their handshake at once, from one host and from all (wire's
   * gated-tls-port.ts). Defaults: HANDSHAKE_WAIT_MS_DEFAULT, WAITING_CONNECTIONS_DEFAULT.
   */
  handshakeWaitMs?: number;
  waitingConnections?: GateLimits;
}

/** Pause before campaigning again after losing the lead, in milliseconds. */
export const CAMPAIGN_RETRY_DELAY_MS = 1_000;
/** Coalesces bursts of etcd changes into one reload, in milliseconds. */
export const RELOAD_DEBOUNCE_MS = 20;
