/**
 * Which certificates a cluster needs, decided from its configuration alone: one per host
 * (its name as common name, its roles as organisational units, its address and name as
 * subject alternative names, good for serving and for calling) and one for clients.
 */
import type { ClusterConfig } from '../cluster-config.js';
import { CLIENT_CERT_NAME } from './tls-identity.js';

export interface CertificateSpec {
  name: string;
  /** Organisational units: the roles a server checks (master, region, etcd, client). */
  roles: string[];
  ips: string[];
  dnsNames: string[];
}

/** Host certificates last about two years (825 days, the most browsers accept); the authority ten. */
export const HOST_CERT_DAYS = 825;
export const CA_CERT_DAYS = 3650;

export function certificatePlan(config: ClusterConfig): CertificateSpec[] {
  const hosts = config.hosts.map((host) => ({ name: host.name, roles: [...host.roles], ips: [host.ip], dnsNames: [host.name] }));
  return [...hosts, { name: CLIENT_CERT_NAME, roles: ['client'], ips: [], dnsNames: [] }];
}

/** openssl's -subj for a spec; names were checked by the configuration (letters, digits, - and _). */
export function subjectOf(spec: CertificateSpec): string {
  return `/O=minisql${spec.roles.map((role) => `/OU=${role}`).join('')}/CN=${spec.name}`;
}

/** The X.509 v3 extensions of a host or client certificate, as an openssl extension file. */
export function extensionsOf(spec: CertificateSpec): string {
  const names = [...spec.ips.map((ip) => `IP:${ip}`), ...spec.dnsNames.map((name) => `DNS:${name}`)];
  return (
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth, clientAuth',
      ...(names.length > 0 ? [`subjectAltName = ${names.join(', ')}`] : []),
    ].join('\n') + '\n'
  );
}
