import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findHost, masterAddresses, MiniSqlError, parseClusterConfig } from '../src/index.js';

const minimal = `
ftp: { passivePortMin: 30000 }
hosts:
  - { name: host0, ip: 10.0.0.10, roles: [etcd, master] }
  - { name: host1, ip: 10.0.0.11, roles: [etcd, region], ports: { region: 7101 } }
`;

function failure(text: string): MiniSqlError {
  try {
    parseClusterConfig(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof MiniSqlError);
    return error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseClusterConfig', () => {
  it('fills every default and derives the etcd endpoints from the etcd hosts', () => {
    const config = parseClusterConfig(minimal, 'test.yaml');
    assert.equal(config.leaseTtlSeconds, 2);
    assert.equal(config.replicationFactor, 2);
    assert.equal(config.etcdPrefix, '/minisql/');
    assert.deepEqual(config.etcdEndpoints, ['https://10.0.0.10:2379', 'https://10.0.0.11:2379']);
    assert.equal(config.hosts[1]?.ports.region, 7101);
    assert.equal(config.hosts[1]?.ports.master, 7000);
    assert.deepEqual(masterAddresses(config), ['10.0.0.10:7000']);
    assert.equal(config.tls, true, 'TLS is on unless switched off');
    assert.equal(config.certsDir, 'data/certs');
    assert.equal(config.rebalanceOnGroupFormed, true, 'a new group gets its share of tables unless switched off');
    assert.equal(parseClusterConfig(`${minimal}rebalanceOnGroupFormed: false\n`, 'test.yaml').rebalanceOnGroupFormed, false);
  });

  it('picks this host by name and checks its role', () => {
    const config = parseClusterConfig(minimal, 'test.yaml');
    assert.equal(findHost(config, 'host1', 'region').ip, '10.0.0.11');
    assert.throws(() => findHost(config, 'host0', 'region'), /host host0 does not have the region role \(roles: etcd, master\)/);
    assert.throws(() => findHost(config, undefined, 'region'), /THIS_NAME is not set; set it to one of: host0, host1/);
    assert.throws(() => findHost(config, 'host9', 'region'), /"host9" is not a host of the file/);
  });

  it('takes a field written with no value (YAML null) as its default', () => {
    const config = parseClusterConfig(`${minimal}statementTimeoutMs:\nleaseTtlSeconds:\n`, 'test.yaml');
    assert.equal(config.statementTimeoutMs, 60_000);
    assert.equal(config.leaseTtlSeconds, 2);
  });

  it('refuses bad values, naming the file and the field', () => {
    assert.match(
      failure(`${minimal}leaseTtlSeconds: 0\n`).message,
      /^invalid configuration in test\.yaml: leaseTtlSeconds must be a whole number from 1 to 60, got 0$/,
    );
    assert.match(failure(`${minimal}replicationFactor: two\n`).message, /replicationFactor must be a whole number/);
    assert.match(failure(minimal.replace('passivePortMin: 30000', 'password: change-me-before-use')).message, /ftp\.password is no longer used/);
    assert.match(failure(`${minimal}tls: yes please\n`).message, /tls must be true or false/);
    assert.match(failure(`${minimal}rebalanceOnGroupFormed: sometimes\n`).message, /rebalanceOnGroupFormed must be true or false/);
    assert.match(failure(`${minimal}replicationLogEntries: 10\n`).message, /replicationLogEntries must be a whole number from 1000 to 10000000, got 10/);
    assert.match(failure(minimal.replace('region: 7101', 'region: 70000')).message, /hosts\[1\]\.ports\.region must be a whole number from 1 to 65535/);
    assert.match(failure(minimal.replace('region: 7101', 'regoin: 7101')).message, /hosts\[1\]\.ports\.regoin is not a port name/);
    assert.match(failure(minimal.replace('host1', 'host0')).message, /hosts\[1\]\.name "host0" is used by two hosts/);
    assert.match(failure(`${minimal}etcd: { prefix: minisql }\n`).message, /etcd\.prefix "minisql" must start and end with \//);
    assert.equal(failure('- just a list').code, 'INVALID_CONFIG');
    assert.match(failure('- just a list').message, /the top level must be a mapping of fields$/);
    assert.match(
      failure(minimal.replace('roles: [etcd, master]', 'roles: [etcd, mastr]')).message,
      /hosts\[0\]\.roles\[1\] "mastr" is not one of etcd, master, region$/,
    );
    assert.match(failure(`${minimal}durability: sometimes\n`).message, /durability must be durable or fast, got "sometimes"$/);
    assert.match(
      failure(`${minimal}ports: { mastr: 7000 }\n`).message,
      /ports\.mastr is not a port name \(names: master, region, ftp, status, metrics, etcdClient, etcdPeer\)$/,
    );
    assert.match(failure(minimal.replace('ip: 10.0.0.10', 'ip: 10.0.0.300')).message, /hosts\[0\]\.ip "10\.0\.0\.300" is not an IPv4 address$/);
    assert.match(
      failure(minimal.replace('passivePortMin: 30000', 'passivePortMin: 30000, passivePortMax: 2000')).message,
      /ftp\.passivePortMax must be a whole number from 30000 to 65535, got 2000$/,
    );
  });

  it('refuses a misspelt field at every level, naming where it is and what is known', () => {
    assert.match(failure(`${minimal}replicationFactr: 3\n`).message, /replicationFactr is not a known field/);
    assert.match(
      failure(minimal.replace('passivePortMin: 30000', 'passivePortMin: 30000, passivePortMn: 3000')).message,
      /ftp\.passivePortMn is not a known field \(known: passivePortMin, passivePortMax\)/,
    );
    assert.match(failure(`${minimal}etcd: { endpoint: [http://10.0.0.10:2379] }\n`).message, /etcd\.endpoint is not a known field/);
    assert.match(failure(minimal.replace('roles: [etcd, master]', 'roles: [etcd, master], rolse: [region]')).message, /hosts\[0\]\.rolse is not a known field/);
  });
});
