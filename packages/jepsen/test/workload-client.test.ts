import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Op } from '@minisql/checker';
import type { StoreConnection } from '../src/db/store-connection.js';
import type { TestContext } from '../src/test-context.js';
import { WorkloadClient } from '../src/workload/workload-client.js';

/** An in-memory register behind a connection the test can make fail to open. */
function flakyStore() {
  const registers = new Map<string, number>();
  const state = { reachable: true, opens: 0 };
  const connect = async (): Promise<StoreConnection> => {
    state.opens += 1;
    if (!state.reachable) throw new Error('MASTER_UNREACHABLE: the master at 10.0.0.1 is cut off');
    return {
      read: async (key) => registers.get(key) ?? null,
      write: async (key, value) => void registers.set(key, value),
      cas: async () => false,
      close: async () => {},
    };
  };
  return { connect, state };
}

const test = {} as TestContext;
const op = (f: string, value: Op['value']): Op => ({ type: 'invoke', f, value, process: 0, time: 0, index: 0, key: 1 });

describe('the workload client', () => {
  it('after a failed reopen, each op tries to connect again: it fails, untried, until the node is back', async () => {
    const { connect, state } = flakyStore();
    const client = new WorkloadClient(connect);
    await client.open(test, 'host1');
    await client.close();
    state.reachable = false;
    await assert.rejects(client.open(test, 'host1'), /MASTER_UNREACHABLE/);

    const refused = await client.invoke(test, op('write', 3));
    assert.equal(refused.type, 'fail', 'an op never sent must be a definite failure');
    assert.match(refused.error ?? '', /^not-connected: MASTER_UNREACHABLE/);

    state.reachable = true;
    const opensBefore = state.opens;
    const written = await client.invoke(test, op('write', 3));
    assert.equal(written.type, 'ok');
    assert.equal(state.opens, opensBefore + 1, 'the client did not reconnect');
    assert.equal((await client.invoke(test, op('read', null))).value, 3);
    assert.equal(state.opens, opensBefore + 1, 'a connected client opened again');
  });
});
