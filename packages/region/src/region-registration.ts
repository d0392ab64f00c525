/**
 * Keeps this region registered in etcd: its RegionRecord under `regions/<id>`, attached
 * to a lease that etcd3 keeps alive. If the lease is lost (etcd unreachable for a TTL),
 * the region registers again. A name already held by a live region is refused with
 * DUPLICATE_REGION and retried, so the region takes the name once it is free, and
 * neither process dies for it.
 */
import type { Etcd3, Lease } from 'etcd3';
import { FAST_KEEPALIVE_INTERVAL_MS, PRIMARY_VALIDITY_MS_MAX, type LeaseClock } from './lease-clock.js';
import { renewOnOneStream } from './lease-renewals.js';
import { errors, MiniSqlError, parseRegionRecord, type EtcdKeys, type Logger, type RegionRecord } from '@minisql/common';

/** First and largest pause between registration attempts, in milliseconds. */
const RETRY_DELAY_MS_MIN = 250;
const RETRY_DELAY_MS_MAX = 5_000;

export class RegionRegistration {
  /** The lease holding the record; undefined between attempts. */
  private lease: Lease | undefined;
  /** Stops the renewals of the lease holding the record. */
  private stopRenewals: () => void = () => undefined;
  private stopped = false;
  /** Resolves the first time the record is written; used by start(). */
  private registeredOnce: Promise<void>;
  private markRegistered!: () => void;
  /** The last reason registration failed, for status and tests. */
  lastError: MiniSqlError | undefined;

  constructor(
    private readonly etcd: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly record: RegionRecord,
    private readonly leaseTtlSeconds: number,
    private readonly endpoints: string,
    private readonly logger: Logger,
    /** Told about every keep-alive, so a primary knows how long its lease surely lasts. */
    private readonly leaseClock?: LeaseClock,
  ) {
    this.registeredOnce = new Promise((resolve) => (this.markRegistered = resolve));
  }

  /** Starts registering in the background; resolves once registered the first time. */
  start(): Promise<void> {
    void this.loop();
    return this.registeredOnce;
  }

  /** Revokes the lease, so the master sees this region leave at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRenewals();
    const lease = this.lease;
    this.lease = undefined;
    this.leaseClock?.lost();
    if (lease) await lease.revoke().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    let delayMs = RETRY_DELAY_MS_MIN;
    while (!this.stopped) {
      try {
        const { lost } = await this.registerOnce();
        this.lastError = undefined;
        delayMs = RETRY_DELAY_MS_MIN;
        this.markRegistered();
        this.logger.info('registered in etcd', { key: this.keys.region(this.record.id), leaseTtlSeconds: this.leaseTtlSeconds });
        const reason = await lost;
        if (this.stopped) return;
        this.logger.warn('etcd lease lost; registering again', { reason });
      } catch (thrown) {
        const error = thrown instanceof MiniSqlError ? thrown : errors.etcdUnavailable(this.endpoints, (thrown as Error).message);
        if (this.lastError?.message !== error.message) this.logger.error(error.message, { code: error.code });
        this.lastError = error;
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS_MAX);
      }
    }
  }

  /**
   * Writes the record under a new lease; resolves with a promise that settles when the
   * lease is lost. (Wrapped in an object: an async function that returns a bare promise
   * resolves only when that promise does, which here is when the lease is lost.)
   */
  private async registerOnce(): Promise<{ lost: Promise<string> }> {
    const lease = this.etcd.lease(this.leaseTtlSeconds);
    const clock = this.leaseClock;
    // The clock follows only the lease that owns the region's key: the one the master
    // watches. A lease granted and revoked at once (the name was taken), or an old lease
    // after a new one took over, says nothing about how long this region may serve.
    const owns = (): boolean => this.lease === lease;
    const lost = new Promise<string>((resolve) =>
      lease.on('lost', (error) => {
        if (owns()) {
          clock?.lost();
          this.stopRenewals();
        }
        resolve(error.message);
      }),
    );
    if (clock) {
      lease.on('keepaliveFired', () => owns() && clock.keepaliveSent());
      lease.on('keepaliveSucceeded', (response) => owns() && clock.keepaliveAnswered(Number(response.TTL)));
    }
    const grantSentAtMs = clock?.nowMs() ?? 0;
    let leaseId: string;
    try {
      leaseId = await lease.grant();
      const key = this.keys.region(this.record.id);
      const result = await this.etcd
        .if(key, 'Create', '==', 0)
        .then(lease.put(key).value(JSON.stringify({ ...this.record, leaseId })))
        .else(this.etcd.get(key))
        .commit();
      if (!result.succeeded) {
        const holder = result.responses[0]?.response_range?.kvs[0]?.value.toString() ?? '{}';
        let address = 'another address';
        try {
          address = parseRegionRecord(key, holder).grpcAddress;
        } catch {
          // An unreadable record still holds the name; say so without its address.
        }
        throw errors.duplicateRegion(this.record.id, address);
      }
    } catch (error) {
      await lease.revoke().catch(() => undefined);
      throw error;
    }
    this.lease = lease;
    if (clock) {
      clock.owned(grantSentAtMs, this.leaseTtlSeconds);
      this.stopRenewals = renewOnOneStream(FAST_KEEPALIVE_INTERVAL_MS, PRIMARY_VALIDITY_MS_MAX, {
        open: () => this.etcd.leaseClient.leaseKeepAlive(),
        leaseId,
        nowMs: () => clock.nowMs(),
        renewed: (sentAtMs, ttlSeconds) => clock.renewed(sentAtMs, ttlSeconds),
        // The clock stops at once; etcd3 finds the same answer on a renewal of its own and
        // reports the lease lost (registering again follows): ask it now.
        expired: () => {
          if (owns()) clock.lost();
          void lease.keepaliveOnce().catch(() => undefined);
        },
        wanted: owns,
      });
    }
    return { lost };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
