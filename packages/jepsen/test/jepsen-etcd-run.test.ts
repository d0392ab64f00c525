import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { historyFacts, runConfig } from './runs/run-support.js';

describe('a Jepsen run against etcd on five namespace hosts', () => {
  it('is linearizable under partitions and kills, as in the seed, and removes everything it made', async () => {
    const run = await runConfig({
      name: 'etcd-ci',
      concurrency: 10,
      seed: 11,
      database: { type: 'etcd' },
      nemesis: { mode: ['partition', 'kill'], partition_method: ['majorities-ring', 'one'], interval: 1.5 },
      checker: { models: 'cas-register', algos: 'competition' },
      workload: { threads_per_key: 2, ops_per_key: 60 },
      time_limit: 12,
      rate: 100,
    });
    const facts = historyFacts(run);
    assert.equal(run.verdict.valid, true, run.verdict.summary);
    assert.ok(
      facts.nemesisFs.has('start-partition') && facts.nemesisFs.has('kill') && facts.nemesisFs.has('start'),
      `faults injected: ${[...facts.nemesisFs].join(', ')}`,
    );
    assert.ok(facts.okOps > 100, `only ${facts.okOps} ops succeeded`);
    assert.ok(facts.keys >= 10, `${facts.keys} keys`);
  });
});
