/**
 * Bad input to the cluster: a malformed configuration, an unreachable etcd, two regions
 * with one name. Each gives a clear error, and no running process dies for it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient, MiniSqlClient } from '@minisql/client';
import { certificatePlan, CLIENT_CERT_NAME, loadClusterConfig, loadTlsIdentity, makeCertificates, ReadyProcess, type TlsIdentity } from '@minisql/common';
import { MASTER_MAIN, REGION_MAIN } from '../src/local-cluster.js';
import { freePort, TestCluster } from './support/test-cluster.js';

const work = mkdtempSync(join(tmpdir(), 'minisql-bad-'));
const started: ReadyProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  rmSync(work, { recursive: true, force: true });
});

/** Runs a server with a configuration and returns how it exited and what it said. */
function runToExit(script: string, configText: string, name: string): Promise<{ status: number | null; output: string }> {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, configText);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, '--config', path], { env: { ...process.env, THIS_NAME: 'region1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

describe('a malformed configuration', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not YAML', 'hosts: [ {', /is not valid YAML/],
    ['no hosts', 'leaseTtlSeconds: 2', /hosts must be a non-empty list/],
    ['a bad address', 'hosts: [{ name: region1, ip: 300.1.1.1, roles: [region] }]', /hosts\[0\]\.ip "300\.1\.1\.1" is not an IPv4 address/],
    ['an unknown role', 'hosts: [{ name: region1, ip: 127.0.0.1, roles: [database] }]', /hosts\[0\]\.roles\[0\] "database" is not one of etcd, master, region/],
    [
      'a shared FTP password (copies use one-time logins)',
      'ftp: { password: long-enough }\nhosts: [{ name: region1, ip: 127.0.0.1, roles: [etcd, region] }]',
      /ftp\.password is no longer used: each table copy gets its own one-time FTP login over TLS/,
    ],
    ['a misspelt field', 'leaseTTL: 3\nhosts: [{ name: region1, ip: 127.0.0.1, roles: [region] }]', /leaseTTL is not a known field/],
    [
      'a host name not in the file',
      'hosts: [{ name: other, ip: 127.0.0.1, roles: [etcd, region] }]',
      /THIS_NAME "region1" is not a host of the file \(hosts: other\)/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`stops a region before it starts, naming the field: ${what}`, async () => {
      const { status, output } = await runToExit(REGION_MAIN, text, what.replaceAll(' ', '-'));
      assert.equal(status, 2, output);
      assert.match(output, /INVALID_CONFIG: invalid configuration in .*\.yaml: /);
      assert.match(output, message);
    });
  }

  it('stops a master the same way', async () => {
    const { status, output } = await runToExit(MASTER_MAIN, 'hosts: 7', 'master-bad');
    assert.equal(status, 2);
    assert.match(output, /INVALID_CONFIG: .*hosts must be a non-empty list/);
  });
});

describe('an unreachable etcd', () => {
  let configPath: string;
  let tls: TlsIdentity;
  before(async () => {
    configPath = join(work, 'no-etcd.yaml');
    const closed = await freePort();
    writeFileSync(
      configPath,
      [
        'leaseTtlSeconds: 1',
        `dataDir: ${join(work, 'no-etcd-data')}`,
        'hosts:',
        `  - { name: etcd0, ip: 127.0.0.1, roles: [etcd], ports: { etcdClient: ${closed} } }`,
        `  - { name: master1, ip: 127.0.0.1, roles: [master], ports: { master: ${await freePort()}, status: ${await freePort()} } }`,
        `  - { name: region1, ip: 127.0.0.1, roles: [region], ports: { region: ${await freePort()}, metrics: ${await freePort()} } }`,
      ].join('\n'),
    );
    const config = loadClusterConfig(configPath);
    makeCertificates(config.certsDir, certificatePlan(config));
    tls = loadTlsIdentity(config.certsDir, CLIENT_CERT_NAME);
  });

  it('leaves a region serving while it retries, and says why it is not registered', async () => {
    const lines: string[] = [];
    const region = await ReadyProcess.start({
      script: REGION_MAIN,
      args: ['--config', configPath],
      env: { ...process.env, THIS_NAME: 'region1' },
      onStderrLine: (line) => lines.push(line),
    });
    started.push(region);
    // As the master would reach it: without etcd the region knows no users to log in.
    const client = await MiniSqlClient.connect({ regionAddress: region.address, tls: loadTlsIdentity(loadClusterConfig(configPath).certsDir, 'master1') });
    try {
      assert.deepEqual((await client.execute('show tables;')).rows, []);
      const deadline = Date.now() + 20_000;
      while (!lines.some((line) => line.includes('ETCD_UNAVAILABLE')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        lines.some((line) => /etcd is unreachable at https:\/\/127\.0\.0\.1:\d+/.test(line)),
        lines.join('\n'),
      );
      await client.ping();
      assert.equal(region.child.exitCode, null);
    } finally {
      client.close();
    }
  });

  it('keeps a master up on standby, and a client is told the master cannot lead and why', async () => {
    const master = await ReadyProcess.start({ script: MASTER_MAIN, args: ['--config', configPath], env: { ...process.env, THIS_NAME: 'master1' } });
    started.push(master);
    await assert.rejects(ClusterClient.connect({ masterAddresses: [master.address], masterFailoverWaitMs: 1_500, tls }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'MASTER_UNREACHABLE');
      assert.match(error.message, /the master is unreachable at 127\.0\.0\.1:\d+: .*master `master1` is on standby: .*etcd at https:\/\/127\.0\.0\.1:\d+/);
      return true;
    });
    assert.equal(master.child.exitCode, null);
  });
});

describe('two regions with one name', () => {
  let test: TestCluster;
  before(async () => {
    test = await TestCluster.start({ regions: 2 });
  });
  after(async () => {
    await test.stop();
  });

  it('refuses the second one with DUPLICATE_REGION; both keep running and the first keeps its name', async () => {
    const status = await test.waitForStatus('region1 registered', (s) => s.regions.some((r) => r.region_id === 'region1' && r.alive));
    const original = status.regions.find((r) => r.region_id === 'region1')?.grpc_address;
    const lines: string[] = [];
    const duplicate = await ReadyProcess.start({
      script: REGION_MAIN,
      args: ['--config', test.configPath, '--listen', '127.0.0.1:0', '--data-dir', join(test.dir, 'duplicate')],
      // Another host would have its own address; 127.0.0.2 keeps its FTP port apart.
      env: { ...process.env, THIS_NAME: 'region1', THIS_IP: '127.0.0.2' },
      onStderrLine: (line) => lines.push(line),
    });
    started.push(duplicate);
    await test.waitFor('the duplicate to report the clash', async () => (lines.some((l) => l.includes('DUPLICATE_REGION')) ? true : undefined));
    assert.ok(
      lines.some((l) => l.includes(`region name \`region1\` is already registered by the region at ${original}`)),
      lines.join('\n'),
    );
    const after = await (await test.client()).clusterStatus();
    assert.equal(after.regions.find((r) => r.region_id === 'region1')?.grpc_address, original);
    assert.equal(duplicate.child.exitCode, null);
  });
});
