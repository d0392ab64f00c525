/**
 * A watch over this master's own campaign while it waits to lead. etcd's election hands
 * the lead to the oldest key in the election prefix, and a candidate learns that its turn
 * came by a watch on the key before its own. A watch can go quiet without an error (its
 * stream held by an etcd member that was killed or paused at the wrong moment, a delete
 * event never delivered), and then the candidate waits forever behind a key that is gone;
 * the other master waits behind the stuck candidate's key, whose lease is kept alive: no
 * master leads while every etcd member is up. Seen in the Jepsen soak under kills of etcd
 * members and of masters: a candidate's lease expired in etcd (its keepalives went to a
 * member that was down) while the client library went on waiting, so its key was gone
 * and no master led for the last minute of the run; with this watch the candidate
 * noticed within a second and the next soak ended with a leader.
 *
 * So the waiting candidate also reads the prefix itself, every CAMPAIGN_CHECK_INTERVAL_MS:
 * if its own key is gone (its lease expired without the client noticing) or it has been
 * the oldest key for longer than the stall bound without being told it won, it gives up
 * this campaign (revoking its lease, so its key blocks nobody) and campaigns afresh.
 * The decision is the pure function below.
 */

/** How often a waiting candidate reads the election prefix. */
export const CAMPAIGN_CHECK_INTERVAL_MS = 1_000;

export interface CampaignObservation {
  /** Whether this candidate's key is still in the election prefix. */
  ownKeyPresent: boolean;
  /** Whether this candidate's key is the oldest there (the leader's key, by etcd's rule). */
  oldest: boolean;
  /** Since when (monotonic ms) it has been the oldest, without a pause; undefined if not. */
  oldestSinceMs: number | undefined;
  nowMs: number;
  /** How long the oldest key may wait for its election to be noticed. */
  stallMs: number;
}

export type CampaignVerdict = { action: 'wait' } | { action: 'restart'; why: string };

/** Whether a candidate that has not been told it leads should campaign afresh. */
export function campaignVerdict(observation: CampaignObservation): CampaignVerdict {
  if (!observation.ownKeyPresent) return { action: 'restart', why: 'its election key is gone (its lease expired)' };
  if (observation.oldest && observation.oldestSinceMs !== undefined && observation.nowMs - observation.oldestSinceMs >= observation.stallMs) {
    return {
      action: 'restart',
      why: `its key has been the oldest for ${Math.round(observation.nowMs - observation.oldestSinceMs)} ms and the election never said so`,
    };
  }
  return { action: 'wait' };
}

/** The stall bound for a lease TTL: a second more than the TTL, at least two seconds. */
export function campaignStallMs(leaseTtlSeconds: number): number {
  return Math.max(2_000, leaseTtlSeconds * 1_000 + 1_000);
}
