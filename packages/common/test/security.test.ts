/**
 * The pure parts of who-is-who: which certificates a cluster needs, what a certificate
 * says (made by the real openssl and read back by node:crypto), how keys are guarded, and
 * the caller checks as scenarios.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callerOf,
  certificatePaths,
  certificatePlan,
  checkMasterCaller,
  checkRegionClaim,
  checkServerCaller,
  loadTlsIdentity,
  makeCertificates,
  parseClusterConfig,
  type Caller,
} from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'minisql-certs-'));
after(() => rmSync(work, { recursive: true, force: true }));

const config = parseClusterConfig(
  `dataDir: ${work}/data\nhosts:\n  - { name: host0, ip: 10.0.0.10, roles: [etcd, master] }\n  - { name: host1, ip: 10.0.0.11, roles: [etcd, region] }\n`,
  'test.yaml',
);

describe('the certificates of a cluster', () => {
  it('are one per host with its roles and address, and one for clients', () => {
    assert.deepEqual(certificatePlan(config), [
      { name: 'host0', roles: ['etcd', 'master'], ips: ['10.0.0.10'], dnsNames: ['host0'] },
      { name: 'host1', roles: ['etcd', 'region'], ips: ['10.0.0.11'], dnsNames: ['host1'] },
      { name: 'client', roles: ['client'], ips: [], dnsNames: [] },
    ]);
  });

  it("say the host's name and roles, are signed by the cluster's authority, keep keys private, and are made once", () => {
    const first = makeCertificates(config.certsDir, certificatePlan(config));
    assert.deepEqual(first.made, ['ca', 'host0', 'host1', 'client']);
    const paths = certificatePaths(config.certsDir, 'host1');
    const cert = new X509Certificate(readFileSync(paths.cert));
    const authority = new X509Certificate(readFileSync(paths.ca));
    assert.ok(cert.verify(authority.publicKey), 'signed by the authority');
    assert.match(cert.subject, /CN=host1/);
    assert.match(cert.subject, /OU=etcd\nOU=region|OU=etcd\+OU=region/);
    assert.equal(cert.subjectAltName, 'IP Address:10.0.0.11, DNS:host1');
    assert.equal(statSync(paths.key).mode & 0o777, 0o600);
    const again = makeCertificates(config.certsDir, certificatePlan(config));
    assert.deepEqual(again.made, [], 'nothing is made twice: a new authority would lock every process out');
    assert.equal(readFileSync(paths.cert, 'utf8'), cert.toString());
  });

  it('are refused when missing, naming the file and the command that makes it, or when a key can be read by others', () => {
    assert.throws(
      () => loadTlsIdentity(join(work, 'nowhere'), 'host0'),
      /nowhere\/ca\.crt does not exist: make the certificates with `minisql-cluster certs --config FILE`/,
    );
    const { key } = certificatePaths(config.certsDir, 'host0');
    chmodSync(key, 0o644);
    try {
      assert.throws(() => loadTlsIdentity(config.certsDir, 'host0'), /host0\.key can be read by others \(mode 644\): a private key must be mode 600/);
    } finally {
      chmodSync(key, 0o600);
    }
    assert.equal(loadTlsIdentity(config.certsDir, 'host0').name, 'host0');
  });
});

describe('who is calling', () => {
  const region1: Caller = { name: 'region1', roles: ['etcd', 'region'] };
  const master: Caller = { name: 'host0', roles: ['etcd', 'master'] };
  const client: Caller = { name: 'client', roles: ['client'] };

  it('is read from the certificate the caller presented, never from the request', () => {
    const call = (context: ReturnType<Parameters<typeof callerOf>[0]['getAuthContext']>) => ({ getAuthContext: () => context });
    assert.equal(callerOf(call(null)), 'plaintext');
    assert.equal(callerOf(call({ transportSecurityType: 'insecure' })), 'plaintext');
    assert.deepEqual(callerOf(call({ transportSecurityType: 'ssl', sslPeerCertificate: { subject: { CN: 'region1', OU: ['etcd', 'region'] } } })), region1);
    assert.deepEqual(callerOf(call({ transportSecurityType: 'ssl', sslPeerCertificate: { subject: { CN: 'client', OU: 'client' } } })), client);
  });

  it('replica traffic: only the region the certificate names may claim to send it', () => {
    assert.equal(checkRegionClaim(region1, 'region1', 'Apply'), undefined);
    assert.match(
      checkRegionClaim(region1, 'region2', 'Apply')?.message ?? '',
      /Apply claims to come from region `region2`, but the certificate is `region1`'s/,
    );
    assert.equal(checkRegionClaim(region1, 'region2', 'Apply')?.code, 'PERMISSION_DENIED');
    assert.match(checkRegionClaim(client, 'client', 'Join')?.message ?? '', /Join is for regions only/);
    assert.match(checkRegionClaim(master, 'host0', 'Snapshot')?.message ?? '', /Snapshot is for regions only/);
    assert.equal(checkRegionClaim('plaintext', 'anyone', 'Apply'), undefined, 'with TLS off nobody is proven (documented)');
  });

  it("table changes on a region: the master's alone; health: the cluster's servers alone", () => {
    assert.equal(checkMasterCaller(master, 'drop table on a region'), undefined);
    assert.equal(checkMasterCaller(region1, 'drop table on a region')?.code, 'PERMISSION_DENIED');
    assert.equal(checkMasterCaller(client, 'drop table on a region')?.code, 'PERMISSION_DENIED');
    assert.equal(checkServerCaller(master, 'Health'), undefined);
    assert.equal(checkServerCaller(region1, 'Health'), undefined);
    assert.equal(checkServerCaller(client, 'Health')?.code, 'PERMISSION_DENIED');
  });
});
