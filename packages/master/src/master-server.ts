/**
 * A master process: serves MasterService, campaigns in the etcd election, and while it
 * leads, keeps its view of the cluster current (watching etcd) and forms replica groups
 * from spare regions. All durable state is in etcd, so a new master resumes where the
 * old one stopped.
 */
import * as grpc from '@grpc/grpc-js';
import { Etcd3, type Campaign } from 'etcd3';
import {
  etcdOptions,
  EtcdKeys,
  loadProtos,
  MiniSqlError,
  retryUntilStarted,
  serverCredentials,
  UserAdmin,
  UserDirectory,
  withDeadline,
  type GroupRecord,
  type HandoverRequest,
  type Logger,
} from '@minisql/common';
import { errorFromGrpcStatus, GatedTlsPort, HANDSHAKE_WAIT_MS_DEFAULT, replicationStub, WAITING_CONNECTIONS_DEFAULT } from '@minisql/wire';
import { CatalogService } from './catalog-service.js';
import { groupsChoosingPrimary, planGroupRepairs, planNewGroups, planReplacements, type LogPositions } from './cluster-planner.js';
import { HealthMonitor } from './health-monitor.js';
import { startStatusServer } from './status-page.js';
import type { Server } from 'node:http';
import { emptyView, type ClusterView } from './cluster-view.js';
import { CAMPAIGN_RETRY_DELAY_MS, RELOAD_DEBOUNCE_MS, type MasterOptions } from './master-options.js';
import { CAMPAIGN_CHECK_INTERVAL_MS, campaignStallMs, campaignVerdict } from './campaign-watch.js';
import { masterServiceHandlers, type MasterState } from './master-service.js';
import type { ClusterActivity } from './route-builder.js';
import { MetadataStore, type ViewSubscription } from './metadata-store.js';
import { RegionPool } from '@minisql/wire';

/**
 * Bound on taking the lead once elected. A step that hangs (an etcd call on a stuck
 * connection) would otherwise hold the election key, and so the lead, with nobody leading.
 */
const LEAD_SETUP_MS_MAX = 30_000;

/**
 * Bound on asking a promotion candidate where its log stands: on loopback or a LAN the
 * answer takes about a millisecond; this is what a failover waits for one that hangs.
 */
const LOG_POSITIONS_TIMEOUT_MS = 200;

/** Time a primary may take to hand its group over (its batches in flight finish), in milliseconds. */
const HANDOVER_CALL_TIMEOUT_MS = 5_000;

export class MasterServer implements MasterState {
  readonly masterId: string;
  leading = false;
  /** Why this master does not lead, shown to clients asking it while on standby. */
  standbyReason: string;
  view: ClusterView = emptyView();
  private readonly etcd: Etcd3;
  private readonly store: MetadataStore;
  private readonly regions: RegionPool;
  private readonly catalog: CatalogService;
  private readonly users: UserDirectory | undefined;
  private readonly server = new grpc.Server();
  private readonly health: HealthMonitor;
  private statusServer: Server | undefined;
  private campaign: Campaign | undefined;
  private watcher: ViewSubscription | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  /** Reloads when the fence of a revoked primary ends (see HealthMonitor.fenced). */
  private fenceTimer: NodeJS.Timeout | undefined;
  /** The reload under way; a change during it makes it run once more before resolving. */
  private reloadRunning: Promise<void> | undefined;
  private reloadAgain = false;
  private stopped = false;
  private boundAddress = '';
  /** The gated TLS port, with TLS on. */
  private port: GatedTlsPort | undefined;

  constructor(
    private readonly options: MasterOptions,
    private readonly logger: Logger,
  ) {
    this.masterId = options.masterId;
    this.standbyReason = `it has not won the election in etcd at ${options.etcdEndpoints.join(', ')}`;
    this.etcd = new Etcd3(etcdOptions(options.etcdEndpoints, options.tls));
    this.store = new MetadataStore(this.etcd, new EtcdKeys(options.etcdPrefix), logger.child('metadata'));
    this.regions = new RegionPool(options.tls);
    this.health = new HealthMonitor((leaseId) => this.store.revokeLease(leaseId), options.tls, logger.child('health'));
    const keys = new EtcdKeys(options.etcdPrefix);
    // Users are known only where callers are proven: with TLS off everyone is let in.
    this.users = options.tls ? new UserDirectory(this.etcd, keys, logger.child('users')) : undefined;
    this.catalog = new CatalogService(
      this.store,
      this.regions,
      options.replicationFactor,
      logger.child('catalog'),
      // Routes first (a group just switched, or one read), then the rest of the reload,
      // which may call regions.
      async (switched) => {
        if (switched) this.noteGroup(switched);
        else await this.refreshView();
        await this.reload();
      },
      new UserAdmin(this.etcd, keys, logger.child('users')),
      (address, request) => this.handover(address, request),
      (address) => replicationStub(address, options.tls),
    );
  }

  get address(): string {
    return this.boundAddress;
  }

  activity(): ClusterActivity {
    return { copies: this.health.copiesUnderWay(), moves: this.catalog.movesUnderWay() };
  }

  /** Serves at once (answering NOT_LEADER while on standby) and campaigns in the background. */
  async start(): Promise<string> {
    const { master } = loadProtos();
    this.server.addService(master.minisql.v1.MasterService.service, masterServiceHandlers(this, this.catalog, this.users));
    if (this.users) void retryUntilStarted(() => (this.users as UserDirectory).start(), this.logger, 'could not read the users from etcd');
    const port = await this.listen();
    this.boundAddress = `${this.options.listenAddress.slice(0, this.options.listenAddress.lastIndexOf(':'))}:${port}`;
    this.statusServer = await startStatusServer(
      this.options.statusAddress,
      { state: this, recentEvents: (limit) => this.store.recentEvents(limit) },
      this.logger.child('status'),
      {
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        ...(this.options.statusToken === undefined ? {} : { token: this.options.statusToken }),
      },
    );
    this.logger.info('master serving; campaigning for the lead', {
      address: this.boundAddress,
      status: `${this.options.tls ? 'https' : 'http'}://${this.options.statusAddress}/`,
    });
    void this.campaignLoop();
    return this.boundAddress;
  }

  /**
   * With TLS, a gated port (wire's gated-tls-port.ts): a caller's handshake is bounded in
   * time, and callers in their handshake in number, per host and in all, so a host
   * flooding the port with silent connections shuts out only itself. Returns the port bound.
   */
  private async listen(): Promise<number> {
    const { tls, listenAddress } = this.options;
    if (tls) {
      this.port = await GatedTlsPort.listen(this.server, listenAddress, tls, {
        handshakeWaitMs: this.options.handshakeWaitMs ?? HANDSHAKE_WAIT_MS_DEFAULT,
        waitingConnections: this.options.waitingConnections ?? WAITING_CONNECTIONS_DEFAULT,
      });
      return this.port.port;
    }
    return new Promise<number>((resolve, reject) =>
      this.server.bindAsync(listenAddress, serverCredentials(undefined), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reloadTimer);
    clearTimeout(this.fenceTimer);
    await this.watcher?.cancel().catch(() => undefined);
    await this.store.close();
    // Resigning hands the lead to the standby at once instead of after the lease TTL.
    await this.campaign?.resign().catch(() => undefined);
    this.health.stop();
    await this.users?.stop().catch(() => undefined);
    this.statusServer?.closeAllConnections();
    this.statusServer?.close();
    this.port?.stopListening();
    this.server.forceShutdown();
    this.regions.close();
    this.etcd.close();
  }

  /** Asks a primary to hand its group over; resolves once every in-sync replica holds all it has. */
  private handover(address: string, request: HandoverRequest): Promise<void> {
    const watched = this.health.replicationTo(address);
    const stub = watched ?? replicationStub(address, this.options.tls);
    return new Promise<void>((resolve, reject) =>
      stub.Handover(request, { deadline: Date.now() + HANDOVER_CALL_TIMEOUT_MS }, (error, response) => {
        if (!watched) stub.close();
        if (error) reject(errorFromGrpcStatus(error, address, HANDOVER_CALL_TIMEOUT_MS));
        else if (response?.error?.code) reject(MiniSqlError.fromProto(response.error));
        else resolve();
      }),
    );
  }

  private async campaignLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.leadUntilLost();
      } catch (error) {
        this.standbyReason = `it could not campaign: ${(error as Error).message} (etcd at ${this.options.etcdEndpoints.join(', ')})`;
        this.logger.error('lost or could not win the lead', { error: (error as Error).message });
      }
      this.stepDown();
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, CAMPAIGN_RETRY_DELAY_MS));
    }
  }

  /** Campaigns; once elected, leads until the campaign fails. */
  private async leadUntilLost(): Promise<void> {
    const election = this.etcd.namespace(`${this.options.etcdPrefix}master/`).election('election', this.options.leaseTtlSeconds);
    const campaign = election.campaign(this.masterId);
    this.campaign = campaign;
    const failed = new Promise<never>((_, reject) => campaign.on('error', reject));
    failed.catch(() => undefined); // raced below; a failure after a stall is not unhandled
    const watch = this.watchCampaign(campaign);
    try {
      await Promise.race([campaign.wait(), failed, watch.stalled]);
    } finally {
      watch.stop();
    }
    if (this.stopped) return;
    await withDeadline(this.takeLead(campaign), LEAD_SETUP_MS_MAX, () => {
      throw new Error(`taking the lead (loading the cluster from etcd) took more than ${LEAD_SETUP_MS_MAX} ms`);
    });
    await failed;
  }

  /** From winning the election to leading: load the view, resume unfinished work, watch. */
  private async takeLead(campaign: Campaign): Promise<void> {
    this.store.fenceWith(await campaign.getCampaignKey());
    this.view = (await this.store.load()).view;
    this.leading = true;
    this.logger.info('elected: this master leads', { regions: this.view.regions.size, groups: this.view.groups.size, tables: this.view.tables.size });
    await this.store.recordEvent('master_elected', { master: this.masterId });
    await this.catalog.resumeUnfinished();
    this.watcher = await this.store.watch(() => this.scheduleReload());
    await this.reload();
  }

  /**
   * Reads the election prefix while the campaign waits (see campaign-watch.ts); `stalled`
   * rejects when the campaign should start afresh.
   */
  private watchCampaign(campaign: Campaign): { stalled: Promise<never>; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let oldestSinceMs: number | undefined;
    const stallMs = campaignStallMs(this.options.leaseTtlSeconds);
    const stalled = new Promise<never>((_, reject) => {
      const check = async (): Promise<void> => {
        try {
          const key = await campaign.getCampaignKey();
          const prefix = key.slice(0, key.lastIndexOf('/') + 1);
          const oldest = await this.etcd.getAll().prefix(prefix).sort('Create', 'Ascend').limit(1).keys();
          const own = await this.etcd.get(key).exists();
          if (stopped) return;
          const nowMs = performance.now();
          const isOldest = oldest[0] === key;
          oldestSinceMs = isOldest ? (oldestSinceMs ?? nowMs) : undefined;
          const verdict = campaignVerdict({ ownKeyPresent: own, oldest: isOldest, oldestSinceMs, nowMs, stallMs });
          if (verdict.action === 'restart') {
            this.logger.warn('campaign stalled; campaigning afresh', { why: verdict.why, key, oldest: oldest[0] });
            reject(new Error(`the campaign stalled: ${verdict.why}`));
            return;
          }
        } catch {
          // etcd unreachable: the campaign's own lease will say so
        }
        if (!stopped) timer = setTimeout(() => void check(), CAMPAIGN_CHECK_INTERVAL_MS);
      };
      timer = setTimeout(() => void check(), CAMPAIGN_CHECK_INTERVAL_MS);
    });
    stalled.catch(() => undefined);
    return {
      stalled,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  private stepDown(): void {
    if (this.leading) this.logger.warn('stepping down');
    if (this.leading) this.standbyReason = `it lost the lead and is campaigning again in etcd at ${this.options.etcdEndpoints.join(', ')}`;
    this.leading = false;
    this.store.fenceWith(undefined);
    void this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
    this.health.stop();
    // An abandoned campaign must not keep its key: its lease would be kept alive, and
    // every later campaign, this master's and the other's, would wait behind it.
    void this.campaign?.resign().catch(() => undefined);
    this.campaign = undefined;
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), RELOAD_DEBOUNCE_MS);
  }

  /** Reloads in `delayMs`, whatever changes come before. */
  private scheduleReloadIn(delayMs: number): void {
    clearTimeout(this.fenceTimer);
    this.fenceTimer = setTimeout(() => void this.reload(), delayMs + 1);
  }

  /**
   * A group record this master has just written (a switchover's next epoch): routes name
   * it at once, without waiting for a read of etcd; the next load brings the same record.
   */
  private noteGroup(group: GroupRecord): void {
    if (!this.leading) return;
    this.view = { ...this.view, groups: new Map(this.view.groups).set(group.id, group) };
  }

  /** Re-reads the view now: for a lookup that missed, which may only be ahead of the watch. */
  async refreshView(): Promise<ClusterView> {
    if (this.leading) this.view = (await this.store.load()).view;
    return this.view;
  }

  /**
   * For groups that must choose a new primary among several in-sync replicas: where each
   * candidate's tables stand (asked at once, each within LOG_POSITIONS_TIMEOUT_MS; one
   * that does not answer is ranked last, see promotionOrder).
   */
  private async logPositionsOfCandidates(view: ClusterView, fenced: ReadonlySet<string>): Promise<LogPositions> {
    const candidates = new Set(groupsChoosingPrimary(view, fenced).flatMap((group) => group.inSync.filter((id) => view.regions.has(id))));
    const answers = await Promise.all(
      [...candidates].map(async (id) => {
        const address = view.regions.get(id)?.grpcAddress as string;
        const tables = await this.regions
          .get(address)
          .logPositions(LOG_POSITIONS_TIMEOUT_MS)
          .catch(() => undefined);
        return [id, tables] as const;
      }),
    );
    const positions = new Map<string, ReadonlyMap<string, number>>();
    for (const [id, tables] of answers) if (tables) positions.set(id, tables);
    return positions;
  }

  /** Re-reads the view and forms groups from spare regions; resolves once the view is current. */
  private reload(): Promise<void> {
    if (this.reloadRunning) {
      this.reloadAgain = true;
      return this.reloadRunning;
    }
    this.reloadRunning = this.reloadUntilCurrent().finally(() => (this.reloadRunning = undefined));
    return this.reloadRunning;
  }

  private async reloadUntilCurrent(): Promise<void> {
    try {
      do {
        this.reloadAgain = false;
        if (!this.leading) return;
        const { view, groupRevisions } = await this.store.load();
        this.view = view;
        this.health.follow(view);
        const fence = this.health.fenced();
        // A primary whose lease this master just revoked may still serve until its fence
        // ends; its group is repaired then.
        if (fence.endsInMs !== undefined) this.scheduleReloadIn(fence.endsInMs);
        const positions = await this.logPositionsOfCandidates(view, fence.regions);
        for (const group of planGroupRepairs(view, fence.regions, positions)) {
          const before = view.groups.get(group.id);
          if (await this.store.updateGroup(group, groupRevisions.get(group.id) as string)) {
            const promoted = before !== undefined && before.primary !== group.primary;
            this.logger.warn(promoted ? 'failover: promoted a replica' : 'removed dead replicas from a group', {
              group: group.id,
              epoch: group.epoch,
              primary: group.primary,
              inSync: group.inSync,
            });
            await this.store.recordEvent(promoted ? 'failover' : 'replicas_removed', {
              group: group.id,
              epoch: group.epoch,
              primary: group.primary,
              previousPrimary: before?.primary,
              atMs: Date.now(),
            });
            this.reloadAgain = true;
          }
        }
        if (this.reloadAgain) continue; // repairs first; replacements see their outcome
        for (const group of planReplacements(view, this.options.replicationFactor)) {
          if (await this.store.updateGroup(group, groupRevisions.get(group.id) as string)) {
            this.logger.info('a spare region joins a group and copies its tables', { group: group.id, catchingUp: group.catchingUp });
            await this.store.recordEvent('replica_assigned', { group: group.id, catchingUp: group.catchingUp });
            this.reloadAgain = true;
          }
        }
        if (this.reloadAgain) continue;
        const groups = planNewGroups(view, this.options.replicationFactor);
        if (groups.length > 0 && (await this.store.createGroups(groups))) {
          for (const group of groups) {
            this.logger.info('formed a replica group', { group: group.id, primary: group.primary, replicas: group.inSync });
            await this.store.recordEvent('group_formed', { group: group.id, primary: group.primary, replicas: group.inSync });
          }
          this.view = (await this.store.load()).view;
          if (this.options.rebalanceOnGroupFormed)
            this.catalog.rebalanceAfterGroupFormed(
              groups.map((group) => group.id),
              () => this.leading,
            );
        }
      } while (this.reloadAgain);
    } catch (error) {
      this.logger.warn('could not refresh the cluster view; will retry on the next change', { error: (error as Error).message });
    }
  }
}
