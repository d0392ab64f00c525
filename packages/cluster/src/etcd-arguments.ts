/** The etcd command line for one host of the configuration. Pure, but for the health probe. */
import { request } from 'node:https';
import { certificatePaths, CLIENT_CERT_NAME, loadTlsIdentity, type ClusterConfig, type HostConfig } from '@minisql/common';

export function etcdMembers(config: ClusterConfig): HostConfig[] {
  return config.hosts.filter((host) => host.roles.includes('etcd'));
}

function scheme(config: ClusterConfig): string {
  return config.tls ? 'https' : 'http';
}

export function etcdClientUrl(config: ClusterConfig, host: HostConfig): string {
  return `${scheme(config)}://${host.ip}:${host.ports.etcdClient}`;
}

/**
 * Arguments for Debian's etcd 3.4 so that the members of the file form one cluster. With
 * TLS on, clients and peers alike must present a certificate of the cluster (the host's
 * own serves both), and etcd takes a client's user name from its certificate's common
 * name once authentication is on (etcd-access.ts).
 */
export function etcdArguments(config: ClusterConfig, host: HostConfig, dataDir: string): string[] {
  const peerUrl = `${scheme(config)}://${host.ip}:${host.ports.etcdPeer}`;
  const paths = certificatePaths(config.certsDir, host.name);
  const tls = config.tls
    ? [
        '--cert-file',
        paths.cert,
        '--key-file',
        paths.key,
        '--trusted-ca-file',
        paths.ca,
        '--client-cert-auth',
        '--peer-cert-file',
        paths.cert,
        '--peer-key-file',
        paths.key,
        '--peer-trusted-ca-file',
        paths.ca,
        '--peer-client-cert-auth',
      ]
    : [];
  return [
    '--name',
    host.name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    etcdClientUrl(config, host),
    '--advertise-client-urls',
    etcdClientUrl(config, host),
    '--listen-peer-urls',
    peerUrl,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    etcdMembers(config)
      .map((member) => `${member.name}=${scheme(config)}://${member.ip}:${member.ports.etcdPeer}`)
      .join(','),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    'minisql',
    ...tls,
    // Small clusters on small machines: keep etcd's own log to warnings.
    '--log-level',
    'warn',
    '--logger',
    'zap',
  ];
}

/** Resolves with the client URL once etcd reports itself healthy, else undefined. */
export async function etcdHealthy(config: ClusterConfig, host: HostConfig): Promise<string | undefined> {
  const url = etcdClientUrl(config, host);
  if (!config.tls) {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { health?: string };
    return body.health === 'true' ? url : undefined;
  }
  const identity = loadTlsIdentity(config.certsDir, CLIENT_CERT_NAME);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${url}/health`, { ca: identity.ca, cert: identity.cert, key: identity.key, timeout: 1_000 }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 1 s')));
    req.on('error', reject);
    req.end();
  });
  return (JSON.parse(body) as { health?: string }).health === 'true' ? url : undefined;
}
