/**
 * The fence between a primary that may still be alive and the replica that replaces it,
 * shared by the region (which stops serving in time) and the master (which waits that
 * long). A region serves as primary at most PRIMARY_VALIDITY_MS_MAX past the sending of
 * its last answered lease renewal; renewals after the master revoked the lease are
 * answered "lease not found". So PRIMARY_FENCE_MS after a revocation, the region it
 * revoked serves nothing, alive or dead, and a replica may take over.
 */
/** Longest one lease renewal lets a region serve as primary, from the moment it was sent. */
export const PRIMARY_VALIDITY_MS_MAX = 300;
/** Interval of a region's lease renewals: several fit in one PRIMARY_VALIDITY_MS_MAX. */
export const FAST_KEEPALIVE_INTERVAL_MS = 75;
/**
 * How long a master waits after revoking a region's lease before it promotes a replica
 * in its place: the cap, plus room for scheduling delays and for two clocks' drift over it.
 */
export const PRIMARY_FENCE_MS = PRIMARY_VALIDITY_MS_MAX + 100;
