import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { seededRandom } from '@minisql/common';
import { loadTestConfig, parseTestConfig, TestConfigError } from '../src/test-config.js';
import { nemesisFor } from '../src/test-parts.js';

const configDir = fileURLToPath(new URL('../../config/', import.meta.url));

describe('test configuration', () => {
  it("loads the seed's pyjepsen config.yaml unchanged", () => {
    const config = loadTestConfig(`${configDir}/pyjepsen-etcd.yaml`);
    assert.equal(config.remote, 'ssh');
    assert.deepEqual(
      config.servers.map((server) => [server.name, server.hostname, server.port, server.username]),
      [
        ['n1', '192.0.2.11', 22, 'root'],
        ['n2', '192.0.2.12', 22, 'root'],
        ['n3', '192.0.2.13', 22, 'root'],
      ],
    );
    assert.equal(config.servers[0]!.password, undefined, 'an empty password means none');
    assert.equal(config.database.type, 'etcd');
    assert.equal(config.database.initial_cluster, 'n1=http://192.0.2.11:2380,n2=http://192.0.2.12:2380,n3=http://192.0.2.13:2380');
    assert.equal(config.nemesis.mode, 'partition');
    assert.equal(config.nemesis.partitionMethod, 'majorities-ring');
    assert.equal(config.checker.model, 'cas-register');
    assert.equal(config.checker.algorithm, 'competition');
    assert.equal(config.concurrency, 10);
    assert.equal(config.timeLimitSeconds, 30);
  });

  it('takes a key written with no value (YAML null) as its default, as pyjepsen does', () => {
    const config = parseTestConfig({ concurrency: null, nemesis: { step: null, interval: null }, checker: null }, 'nulls.yaml');
    assert.deepEqual([config.concurrency, config.nemesis.clockStepSeconds, config.nemesis.intervalSeconds, config.checker.model], [10, 60, 5, 'cas-register']);
  });

  it('loads every shipped configuration', () => {
    for (const file of ['etcd.yaml', 'minisql.yaml', 'minisql-soak.yaml']) {
      const config = loadTestConfig(`${configDir}/${file}`);
      assert.equal(config.remote, 'netns', `${file} uses the namespace hosts`);
    }
  });

  it('reads nemesis.processes as a name or a list of names; absent means every process', () => {
    assert.deepEqual(parseTestConfig({ nemesis: { mode: 'kill', processes: 'region' } }, 'test').nemesis.processes, ['region']);
    assert.deepEqual(parseTestConfig({ nemesis: { mode: 'kill', processes: ['region', 'master'] } }, 'test').nemesis.processes, ['region', 'master']);
    assert.deepEqual(parseTestConfig({ nemesis: { mode: 'kill' } }, 'test').nemesis.processes, []);
  });

  it("reads pyjepsen's None as no nemesis", () => {
    assert.equal(parseTestConfig({ nemesis: { mode: 'None' } }, 'test').nemesis.mode, 'none');
  });

  it('runs every partition shape with every cut action, and kills each named process with ops of its own', () => {
    const config = parseTestConfig(
      {
        database: { type: 'minisql' },
        nemesis: { mode: ['partition', 'kill:master', 'pause:etcd'], partition_method: ['one', 'one-way'], partition_action: ['drop', 'reject'] },
      },
      'test',
    );
    assert.deepEqual(config.nemesis.modes, ['partition', 'kill:master', 'pause:etcd']);
    const { nemesis, schedule } = nemesisFor(config, seededRandom(1));
    assert.deepEqual(
      schedule?.map((entry) => [entry.startF, entry.stopF, entry.startValue ?? null]),
      [
        ['start-partition', 'stop-partition', 'one'],
        ['start-partition', 'stop-partition', 'one:reject'],
        ['start-partition', 'stop-partition', 'one-way'],
        ['start-partition', 'stop-partition', 'one-way:reject'],
        ['kill-master', 'start-master', null],
        ['pause-etcd', 'resume-etcd', null],
      ],
    );
    assert.deepEqual([...nemesis.fs].sort(), ['kill-master', 'pause-etcd', 'resume-etcd', 'start-master', 'start-partition', 'stop-partition']);
  });

  it('names the field and the file of a bad value', () => {
    const cases: [unknown, string][] = [
      [{ concurrency: 0 }, 'concurrency'],
      [{ nemesis: { mode: 'earthquake' } }, 'nemesis.mode'],
      [{ nemesis: { partition_method: 'thirds' } }, 'nemesis.partition_method'],
      [{ checker: { algos: 'magic' } }, 'checker.algos'],
      [{ server: { n1: { port: 22 } } }, 'server.n1.hostname'],
      [{ remote: 'ssh' }, 'server'],
      [{ time_limit: 'soon' }, 'time_limit'],
      [{ colour: 'blue' }, 'colour'],
      [{ nemesis: { proceses: ['region'] } }, 'nemesis.proceses'],
      [{ workload: { threads: 2 } }, 'workload.threads'],
      [{ nemesis: { processes: ['region', ''] } }, 'nemesis.processes[1]'],
      [{ nemesis: { processes: [7, { name: 'region' }] } }, 'nemesis.processes[1]'],
      [{ nemesis: { partition_action: ['drop', 'smash'] } }, 'nemesis.partition_action[1]'],
      [{ nemesis: { mode: ['kill', 'kill:'] } }, 'nemesis.mode[1]'],
    ];
    for (const [raw, field] of cases) {
      assert.throws(
        () => parseTestConfig(raw, 'bad.yaml'),
        (error: unknown) => error instanceof TestConfigError && error.field === field && error.message.includes('bad.yaml') && error.message.includes(field),
        `expected an error naming ${field}`,
      );
    }
  });
});
