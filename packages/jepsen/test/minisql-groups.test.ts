import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { groupHostsOf } from '../src/db/minisql-database.js';

const region = (id: string, alive: boolean) => ({
  region_id: id,
  host: alive ? id : '',
  grpc_address: '',
  ftp_address: '',
  incarnation: '',
  alive,
  group_id: 'g1',
});

describe("the minisql adapter's view of primaries and replicas", () => {
  it('names a primary whose lease ran out (listed without a host) by its id: the node a partition nemesis must still cut', () => {
    const status = {
      regions: [region('host1', true), region('host2', false), region('host3', true)],
      groups: [{ group_id: 'g1', epoch: 3, primary: 'host2', in_sync: ['host3'], catching_up: ['host1'], tables: ['t'] }],
    };
    assert.deepEqual(groupHostsOf(status as never), [{ primary: 'host2', replicas: ['host3', 'host1'] }]);
  });
});
