/**
 * Who is calling: read from the certificate the caller presented (mutual TLS), never from
 * the request, which says only what the caller claims. The checks are pure functions of
 * the caller and the claim, tested with scenarios (common/test/caller-policy.test.ts).
 */
import { errors, type MiniSqlError } from '../errors.js';

export type CallerRole = 'master' | 'region' | 'etcd' | 'client';

/** A caller proven by its certificate; `plaintext` when the server runs without TLS and nobody is proven. */
export type Caller = { name: string; roles: readonly string[] } | 'plaintext';

/** The part of a gRPC call this reads (grpc-js ServerSurfaceCall.getAuthContext). */
export interface AuthenticatedCall {
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: { subject?: Record<string, string | string[] | undefined> } } | null;
}

export function callerOf(call: AuthenticatedCall): Caller {
  const context = call.getAuthContext();
  const subject = context?.sslPeerCertificate?.subject;
  if (context?.transportSecurityType !== 'ssl' || !subject) return 'plaintext';
  const name = typeof subject.CN === 'string' ? subject.CN : '';
  const units = subject.OU;
  const roles = units === undefined ? [] : Array.isArray(units) ? units : [units];
  return { name, roles };
}

export function describeCaller(caller: Caller): string {
  return caller === 'plaintext' ? 'a plaintext caller' : `\`${caller.name}\` (${caller.roles.join(', ') || 'no role'})`;
}

/**
 * Replica traffic (Apply, Join, Snapshot, TableChecksum) names the region it comes from;
 * only that region's own certificate may say so. Whether that region is the group's
 * primary, or a member at all, the epoch fencing decides next, from the group's view.
 */
export function checkRegionClaim(caller: Caller, claimedRegion: string, rpc: string): MiniSqlError | undefined {
  if (caller === 'plaintext') return undefined;
  if (!caller.roles.includes('region')) return errors.permissionDenied(describeCaller(caller), `${rpc} is for regions only`);
  if (caller.name !== claimedRegion) {
    return errors.permissionDenied(
      describeCaller(caller),
      `${rpc} claims to come from region \`${claimedRegion}\`, but the certificate is \`${caller.name}\`'s`,
    );
  }
  return undefined;
}

/** Changes of a region's tables (create, drop, alter) come from a master only: the master keeps the catalog. */
export function checkMasterCaller(caller: Caller, what: string): MiniSqlError | undefined {
  if (caller === 'plaintext' || caller.roles.includes('master')) return undefined;
  return errors.permissionDenied(describeCaller(caller), `${what} is for the master only`);
}

/** Calls only the cluster's own servers make (health streams, checksums). */
export function checkServerCaller(caller: Caller, what: string): MiniSqlError | undefined {
  if (caller === 'plaintext' || caller.roles.includes('master') || caller.roles.includes('region')) return undefined;
  return errors.permissionDenied(describeCaller(caller), `${what} is for the cluster's masters and regions only`);
}
