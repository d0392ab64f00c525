/**
 * etcd's client options against a server that accepts connections and never answers (a
 * real TCP listener on loopback): a unary call fails within its deadlines rather than
 * waiting for ever, and a watch, a stream, is given no deadline.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { etcdOptions } from '../src/security/etcd-options.js';

const CALL_TIMEOUT_MS = 300;
let silent: net.Server;
const accepted: net.Socket[] = [];
let address = '';

before(async () => {
  silent = net.createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
});

after(() => {
  for (const socket of accepted) socket.destroy();
  silent.close();
});

describe("etcd's client options", () => {
  it('fail a unary call to a member that never answers within its deadlines, not never', { timeout: 20_000 }, async () => {
    const etcd = new Etcd3(etcdOptions([address], undefined, CALL_TIMEOUT_MS));
    try {
      const started = performance.now();
      await assert.rejects(etcd.get('key').string());
      const waitedMs = performance.now() - started;
      // etcd3 makes three attempts, each with its own deadline.
      assert.ok(waitedMs >= CALL_TIMEOUT_MS * 0.9 && waitedMs < 3 * CALL_TIMEOUT_MS + 2_000, `failed after ${Math.round(waitedMs)} ms`);
      assert.ok(accepted.length > 0, 'the call reached the silent member');
    } finally {
      etcd.close();
    }
  });

  it('give a stream no deadline', () => {
    const options = etcdOptions([address], undefined, CALL_TIMEOUT_MS);
    const factory = options.defaultCallOptions as (context: { isStream: boolean; service: string; method: string }) => { deadline?: number };
    assert.deepEqual(factory({ isStream: true, service: 'Watch', method: 'watch' }), {});
    const unary = factory({ isStream: false, service: 'KV', method: 'range' }).deadline ?? 0;
    assert.ok(unary > Date.now() && unary <= Date.now() + CALL_TIMEOUT_MS);
  });
});
