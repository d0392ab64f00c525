/**
 * How a process reaches etcd: over TLS with its own certificate when TLS is on. etcd then
 * knows the caller by the certificate's common name (its host name), which is the etcd
 * user whose rights apply once authentication is on (the cluster package's etcd-access.ts).
 *
 * Every unary call has a deadline. Without one, a call on a connection that hangs (a peer
 * cut off without a reset, a server that accepts and never answers) waits for ever: no
 * answer, no error, nothing retried, nothing logged. With it, the call fails
 * DEADLINE_EXCEEDED, which etcd3 counts as recoverable: it drops that member's channels
 * and retries (three attempts, each with its own deadline), and the callers' own retries
 * (registration, the group view, the master's reloads) go on from there. Streams (watches,
 * lease keep-alives) have none: they are meant to stay open.
 */
import type { IOptions } from 'etcd3';
import type { TlsIdentity } from './tls-identity.js';

/**
 * Deadline of one unary etcd call, in milliseconds: far above what a call takes, an
 * etcd leader election included (about a second), far below the minute a test or an
 * operator would wait before calling the process stuck.
 */
export const ETCD_CALL_TIMEOUT_MS = 5_000;

export function etcdOptions(endpoints: readonly string[], tls: TlsIdentity | undefined, callTimeoutMs = ETCD_CALL_TIMEOUT_MS): IOptions {
  return {
    hosts: [...endpoints],
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    ...(tls ? { credentials: { rootCertificate: tls.ca, privateKey: tls.key, certChain: tls.cert } } : {}),
  };
}
