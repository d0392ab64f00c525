/**
 * The crash detector: the master holds a Health stream to every live region. When a
 * stream breaks and a new connection to the region is refused, the process is most
 * likely gone (the host is up, nothing listens), so the master revokes the region's
 * lease at once instead of waiting for its TTL. Most likely, not surely: a firewall that
 * rejects the master's packets looks the same, and the region may still be serving. So
 * a revoked region stays *fenced* for PRIMARY_FENCE_MS: the time within which a region
 * that lost its lease stops serving, alive or not (lease-fence.ts). Its group is not
 * repaired before then. A region that is merely slow or cut off keeps its lease until
 * the TTL runs out.
 */
import * as grpc from '@grpc/grpc-js';
import {
  PRIMARY_FENCE_MS,
  type CopyUnderWay__Output,
  type HealthBeat__Output,
  type Logger,
  type RegionRecord,
  type RegionServiceClient,
  type ReplicationServiceClient,
  type TlsIdentity,
} from '@minisql/common';
import { regionStub, replicationStub } from '@minisql/wire';
import type { ClusterView } from './cluster-view.js';

/** Beat interval asked of regions, in milliseconds. */
export const HEALTH_BEAT_INTERVAL_MS = 200;
/** Time a connection attempt may take before "refused" is ruled out, in milliseconds. */
export const DEATH_CHECK_TIMEOUT_MS = 500;
/** Pause before watching again a region whose stream broke while it lived, in milliseconds. */
const REWATCH_DELAY_MS = 100;

interface Watched {
  record: RegionRecord;
  call: grpc.ClientReadableStream<unknown>;
  replication: ReplicationServiceClient;
}

export class HealthMonitor {
  /** Watched regions by incarnation (a restarted region is a new one). */
  private readonly watched = new Map<string, Watched>();
  /** The live regions of the last view, by incarnation. */
  private live = new Set<string>();
  /** The copy each region said it was making in its last beat, by region id. */
  private readonly copies = new Map<string, CopyUnderWay__Output>();
  /** When this master revoked a region's lease (monotonic clock), by region id, while the fence lasts. */
  private readonly revokedAtMs = new Map<string, number>();

  constructor(
    private readonly revokeLease: (leaseId: string) => Promise<void>,
    /** The master's certificate, presented to the regions it watches; plaintext without one. */
    private readonly tls: TlsIdentity | undefined,
    private readonly logger: Logger,
    /**
     * Monotonic milliseconds for the fence: a wall clock stepped forward (NTP, an
     * operator) would end a fence early, and the fence is what keeps two primaries apart.
     */
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Watches every live region of `view` and forgets the others. */
  follow(view: ClusterView): void {
    const live = new Map([...view.regions.values()].map((region) => [region.incarnation, region]));
    this.live = new Set(live.keys());
    for (const [incarnation, watched] of this.watched) {
      if (!live.has(incarnation)) this.forget(incarnation, watched);
    }
    for (const [incarnation, record] of live) if (!this.watched.has(incarnation)) this.watch(incarnation, record);
  }

  /**
   * Regions whose lease this master revoked less than PRIMARY_FENCE_MS ago (they may still
   * be serving), and in how many milliseconds the last of those fences ends.
   */
  fenced(): { regions: Set<string>; endsInMs: number | undefined } {
    const now = this.nowMs();
    let endsInMs: number | undefined;
    for (const [region, revokedAt] of this.revokedAtMs) {
      const left = revokedAt + PRIMARY_FENCE_MS - now;
      if (left <= 0) this.revokedAtMs.delete(region);
      else endsInMs = Math.max(endsInMs ?? 0, left);
    }
    return { regions: new Set(this.revokedAtMs.keys()), endsInMs };
  }

  /** The copies regions are making now (catching-up replicas), by region id, as their last beats said. */
  /**
   * The ReplicationService stub of the Health stream watching the region at `address`,
   * if one is watched: a call on it (a switchover's Handover) opens no connection, whose
   * TLS handshake took most of a switchover's pause.
   */
  replicationTo(address: string): ReplicationServiceClient | undefined {
    for (const watched of this.watched.values()) if (watched.record.grpcAddress === address) return watched.replication;
    return undefined;
  }

  copiesUnderWay(): ReadonlyMap<string, CopyUnderWay__Output> {
    return this.copies;
  }

  stop(): void {
    this.live = new Set();
    for (const [incarnation, watched] of this.watched) this.forget(incarnation, watched);
  }

  private watch(incarnation: string, record: RegionRecord): void {
    const client = replicationStub(record.grpcAddress, this.tls);
    const call = client.Health({ interval_ms: HEALTH_BEAT_INTERVAL_MS });
    const watched: Watched = { record, call, replication: client };
    this.watched.set(incarnation, watched);
    let broken = false;
    const onBreak = (): void => {
      if (broken || this.watched.get(incarnation) !== watched) return;
      broken = true;
      void this.checkDeath(incarnation, watched);
    };
    call.on('data', (beat: HealthBeat__Output) => {
      if (beat.copy && beat.copy.table !== '') this.copies.set(record.id, beat.copy);
      else this.copies.delete(record.id);
    });
    call.on('error', onBreak);
    call.on('end', onBreak);
  }

  private async checkDeath(incarnation: string, watched: Watched): Promise<void> {
    const probe: RegionServiceClient = regionStub(watched.record.grpcAddress, this.tls);
    const refused = await new Promise<boolean>((resolve) =>
      probe.Ping({}, { deadline: Date.now() + DEATH_CHECK_TIMEOUT_MS }, (error, response) => {
        // A new process on the same address is alive, but it is not the one we watched.
        if (!error) resolve(response?.incarnation !== incarnation);
        else resolve(error.code === grpc.status.UNAVAILABLE && !/deadline/i.test(error.details));
      }),
    );
    probe.close();
    this.forget(incarnation, watched);
    if (!refused) {
      // The stream broke but the process answers: keep watching it, or a later crash
      // would only be noticed when its lease runs out.
      setTimeout(() => {
        if (!this.watched.has(incarnation) && this.live.has(incarnation)) this.watch(incarnation, watched.record);
      }, REWATCH_DELAY_MS);
      return;
    }
    if (watched.record.leaseId === undefined) return;
    this.logger.warn('region process is gone (connection refused); revoking its lease', { region: watched.record.id, address: watched.record.grpcAddress });
    try {
      await this.revokeLease(watched.record.leaseId);
      // Counted from when etcd has surely revoked it (after its answer): every renewal the
      // region sent later is answered "lease not found", and any sent before lets it serve
      // PRIMARY_VALIDITY_MS_MAX past its sending at most.
      this.revokedAtMs.set(watched.record.id, this.nowMs());
    } catch (error) {
      this.logger.warn('could not revoke the lease', { region: watched.record.id, error: (error as Error).message });
    }
  }

  private forget(incarnation: string, watched: Watched): void {
    if (this.watched.get(incarnation) === watched) this.watched.delete(incarnation);
    this.copies.delete(watched.record.id);
    watched.call.cancel();
    watched.replication.close();
  }
}
