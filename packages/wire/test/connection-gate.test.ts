/**
 * The connection gate's decision and counter (port/connection-gate.ts), scenario by
 * scenario. Real ports flooded with real connections: the region's in region/test/port-flood.test.ts,
 * the master's in master/test/master-port-flood.test.ts.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { admission, ConnectionGate, hostKey } from '../src/port/connection-gate.js';

describe('the connection gate decides', () => {
  const limits = { perHostMax: 2, totalMax: 3 };

  it('lets a host wait with fewer than its bound, and no host past it', () => {
    assert.equal(admission(0, 0, 0, limits), 'wait');
    assert.equal(admission(1, 1, 1, limits), 'wait');
    assert.equal(admission(2, 2, 2, limits), 'refuse');
  });

  it("once all hosts hold the total, takes the place of the biggest host's oldest, only from a host holding at least two more", () => {
    assert.equal(admission(0, 3, 2, limits), 'evict');
    assert.equal(admission(1, 3, 2, limits), 'refuse', 'the newcomer would hold as many as the host it took the place of');
    assert.equal(admission(0, 3, 1, limits), 'refuse');
  });

  it('counts hosts by address, IPv4 mapped into IPv6 as IPv4, and IPv6 by its /64', () => {
    assert.equal(hostKey('10.0.0.1'), '10.0.0.1');
    assert.equal(hostKey('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(hostKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(hostKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(hostKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(hostKey('::1'), '0:0:0:0::/64');
  });

  it('counts a connection until it leaves, once however often it leaves', () => {
    const gate = new ConnectionGate(limits);
    const first = gate.enter('10.0.0.1', () => assert.fail('nothing is evicted'));
    const second = gate.enter('10.0.0.1', () => assert.fail('nothing is evicted'));
    assert.ok(first && second);
    assert.equal(
      gate.enter('10.0.0.1', () => undefined),
      undefined,
      'a third from the same host',
    );
    assert.ok(gate.enter('10.0.0.2', () => undefined));
    assert.equal(first(), true);
    assert.equal(first(), false, 'a second leave of the same connection');
    assert.equal(gate.waitingFrom('10.0.0.1'), 1);
    assert.equal(gate.waitingFrom(), 2);
  });

  it("makes room in a full gate by closing the oldest of the biggest host's connections", () => {
    const gate = new ConnectionGate({ perHostMax: 3, totalMax: 3 });
    const evicted: string[] = [];
    for (const name of ['a1', 'a2', 'a3']) gate.enter('10.0.0.1', () => evicted.push(name));
    assert.ok(gate.enter('10.0.0.2', () => evicted.push('b1')));
    assert.deepEqual(evicted, ['a1']);
    assert.equal(gate.waitingFrom('10.0.0.1'), 2);
    assert.equal(
      gate.enter('10.0.0.2', () => undefined),
      undefined,
      'two against one: no more room for b',
    );
    assert.equal(gate.waitingFrom(), 3);
  });
});
