/** The configurations shipped in config/ and docker/ load, and the compose file matches its configuration. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadClusterConfig, masterAddresses } from '@minisql/common';
import { etcdArguments } from '../src/etcd-arguments.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('shipped configurations', () => {
  it('config/local.yaml: one etcd member, one master, four regions on loopback', () => {
    const config = loadClusterConfig(join(ROOT, 'config', 'local.yaml'));
    assert.deepEqual(
      config.hosts.map((h) => [h.name, h.ip, h.roles.join('+')]),
      [
        ['master', '127.0.0.1', 'etcd+master'],
        ['region1', '127.0.0.1', 'region'],
        ['region2', '127.0.0.1', 'region'],
        ['region3', '127.0.0.1', 'region'],
        ['region4', '127.0.0.1', 'region'],
      ],
    );
    const ports = config.hosts.flatMap((h) =>
      h.roles.includes('region') ? [h.ports.region, h.ports.ftp, h.ports.metrics] : [h.ports.master, h.ports.etcdClient, h.ports.etcdPeer],
    );
    assert.equal(new Set(ports).size, ports.length, 'every loopback port is distinct');
  });

  it('config/five-hosts.yaml and docker/cluster.yaml: five etcd members, host0 the master, host1..host4 regions', () => {
    for (const file of [join(ROOT, 'config', 'five-hosts.yaml'), join(ROOT, 'docker', 'cluster.yaml')]) {
      const config = loadClusterConfig(file);
      assert.equal(config.etcdEndpoints.length, 5, file);
      assert.deepEqual(masterAddresses(config).length, 1, file);
      assert.deepEqual(
        config.hosts.filter((h) => h.roles.includes('region')).map((h) => h.name),
        ['host1', 'host2', 'host3', 'host4'],
        file,
      );
      const args = etcdArguments(config, config.hosts[2]!, '/data');
      assert.equal(args[args.indexOf('--initial-cluster') + 1]?.split(',').length, 5);
    }
  });

  it('docker/compose.yaml runs each host of docker/cluster.yaml at its address with its role and its certificates', () => {
    const config = loadClusterConfig(join(ROOT, 'docker', 'cluster.yaml'));
    const compose = parse(readFileSync(join(ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { command: string[]; environment?: Record<string, string>; networks: unknown; volumes?: string[] }>;
    };
    for (const host of config.hosts) {
      const service = compose.services[host.name];
      assert.ok(service, `a service for ${host.name}`);
      assert.equal(service.environment?.THIS_NAME, host.name);
      assert.equal(service.environment?.THIS_IP, host.ip);
      assert.deepEqual(service.command, ['docker/host.sh', host.roles.includes('master') ? 'master' : 'region']);
      assert.deepEqual(service.networks, { minisql: { ipv4_address: host.ip } });
      assert.ok(
        service.volumes?.some((volume) => volume.endsWith(`:${config.certsDir}`)),
        `${host.name} mounts the certificates at ${config.certsDir}`,
      );
    }
  });
});
