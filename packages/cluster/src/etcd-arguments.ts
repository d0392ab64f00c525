/** The etcd command line for one host of the configuration. Pure. */
import type { ClusterConfig, HostConfig } from '@minisql/common';

export function etcdMembers(config: ClusterConfig): HostConfig[] {
  return config.hosts.filter((host) => host.roles.includes('etcd'));
}

export function etcdClientUrl(host: HostConfig): string {
  return `http://${host.ip}:${host.ports.etcdClient}`;
}

/** Arguments for Debian's etcd 3.4 so that the members of the file form one cluster. */
export function etcdArguments(config: ClusterConfig, host: HostConfig, dataDir: string): string[] {
  const peerUrl = `http://${host.ip}:${host.ports.etcdPeer}`;
  return [
    '--name', host.name,
    '--data-dir', dataDir,
    '--listen-client-urls', etcdClientUrl(host),
    '--advertise-client-urls', etcdClientUrl(host),
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', etcdMembers(config).map((member) => `${member.name}=http://${member.ip}:${member.ports.etcdPeer}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', 'minisql',
    // Small clusters on small machines: keep etcd's own log to warnings.
    '--log-level', 'warn',
    '--logger', 'zap',
  ];
}

/** Resolves with the client URL once etcd reports itself healthy, else undefined. */
export async function etcdHealthy(host: HostConfig): Promise<string | undefined> {
  const response = await fetch(`${etcdClientUrl(host)}/health`, { signal: AbortSignal.timeout(1_000) });
  const body = (await response.json()) as { health?: string };
  return body.health === 'true' ? etcdClientUrl(host) : undefined;
}
