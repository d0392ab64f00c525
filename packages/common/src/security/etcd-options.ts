/**
 * How a process reaches etcd: over TLS with its own certificate when TLS is on. etcd then
 * knows the caller by the certificate's common name (its host name), which is the etcd
 * user whose rights apply once authentication is on (the cluster package's etcd-access.ts).
 */
import type { IOptions } from 'etcd3';
import type { TlsIdentity } from './tls-identity.js';

/** Time to wait for a connection to an etcd member, in milliseconds. */
export const ETCD_DIAL_TIMEOUT_MS = 2_000;

export function etcdOptions(endpoints: readonly string[], tls: TlsIdentity | undefined): IOptions {
  return {
    hosts: [...endpoints],
    dialTimeout: ETCD_DIAL_TIMEOUT_MS,
    ...(tls ? { credentials: { rootCertificate: tls.ca, privateKey: tls.key, certChain: tls.cert } } : {}),
  };
}
