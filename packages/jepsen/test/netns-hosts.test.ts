/**
 * The one-machine test cluster for real: five network namespaces on a bridge, a tiny TCP
 * server in each, and the partition and packet nemeses acting on them through
 * NetnsRemote, checked by connecting from every host to every other.
 *
 * Needs root, iproute2 (ip, tc) and iptables; scripts/install-jepsen-deps.sh installs
 * them. Without them the tests fail with the reason rather than skip. The hosts use
 * their own prefix and subnet, so a developer's hosts (mjh-*, 10.77.0.0/24) are never
 * touched, and they are removed after the tests even when an assertion fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../src/db/database.js';
import { LocalRemote } from '../src/control/local-remote.js';
import { ClockNemesis } from '../src/nemesis/nemesis-clock.js';
import { NemesisError } from '../src/jepsen-errors.js';
import { PacketNemesis } from '../src/nemesis/nemesis-packet.js';
import { PartitionNemesis } from '../src/nemesis/nemesis-partition.js';
import { DROP_CHAIN_DEFAULT, NetControl } from '../src/control/net-control.js';
import { HOSTS_SCRIPT_PATH, NetnsHosts } from '../src/control/netns-hosts.js';
import type { NetnsRemote } from '../src/control/netns-remote.js';
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';
import { grudgeFor, visibleFrom } from '../src/nemesis/partition-shapes.js';
import type { Remote } from '../src/control/remote.js';
import { seededRandom } from '@minisql/common';
import { shellQuote } from '../src/control/shell-quote.js';
import type { TestContext } from '../src/test-context.js';

const PREFIX = 'mjtn';
const SUBNET = '10.78.1';
const PORT = 7700;
/** A link that answers within this is up; one that does not is cut. */
const PROBE_TIMEOUT_MS = 1_500;
/** Bound on waiting for the servers to listen. */
const SERVER_START_ATTEMPTS_MAX = 50;

/** Answers every connection with the host's name; exits on its own after three minutes. */
const SERVER_SCRIPT = `
const name = process.argv[1];
require('net').createServer((socket) => socket.end(name)).listen(${PORT}, '0.0.0.0');
setTimeout(() => process.exit(0), 180000);
`;

/** Connects to every target at once; prints [target, outcome, connect ms] for each. */
const PROBE_SCRIPT = `
const net = require('net');
const targets = JSON.parse(process.argv[1]);
const timeoutMs = Number(process.argv[2]);
Promise.all(targets.map((target) => new Promise((resolve) => {
  const started = process.hrtime.bigint();
  let connectMs = -1;
  const socket = net.connect({ host: target, port: ${PORT} });
  const timer = setTimeout(() => { socket.destroy(); resolve([target, 'timeout', connectMs]); }, timeoutMs);
  socket.once('connect', () => { connectMs = Number(process.hrtime.bigint() - started) / 1e6; });
  socket.once('data', () => { clearTimeout(timer); socket.destroy(); resolve([target, 'ok', connectMs]); });
  socket.once('error', (error) => { clearTimeout(timer); resolve([target, error.code, connectMs]); });
}))).then((results) => console.log(JSON.stringify(results)));
`;

const hosts = new NetnsHosts({ prefix: PREFIX, subnet: SUBNET });
let remotes = new Map<string, NetnsRemote>();
let nodes: string[] = [];
const root = new LocalRemote({ node: 'control', address: `${SUBNET}.1` });

interface Probe {
  outcome: string;
  connectMs: number;
}

/** From `from`, connects to every node; returns node -> outcome. */
async function probe(from: Remote, targets: readonly string[] = nodes): Promise<Map<string, Probe>> {
  const addresses = targets.map((node) => remotes.get(node)?.address as string);
  const command = `${shellQuote(process.execPath)} -e ${shellQuote(PROBE_SCRIPT)} ${shellQuote(JSON.stringify(addresses))} ${PROBE_TIMEOUT_MS}`;
  const { stdout } = await from.exec(command, { timeoutMs: PROBE_TIMEOUT_MS + 10_000 });
  const results = JSON.parse(stdout) as [string, string, number][];
  return new Map(results.map(([address, outcome, connectMs]) => [targets[addresses.indexOf(address)] as string, { outcome, connectMs }]));
}

/** Every host's view: "host0->host1" -> outcome, for every ordered pair of different hosts. */
async function reachability(): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  await Promise.all(
    nodes.map(async (from) => {
      const seen = await probe(
        remotes.get(from) as Remote,
        nodes.filter((node) => node !== from),
      );
      for (const [to, { outcome }] of seen) links.set(`${from}->${to}`, outcome);
    }),
  );
  return links;
}

function everyLinkUp(): Map<string, string> {
  const links = new Map<string, string>();
  for (const from of nodes) for (const to of nodes) if (from !== to) links.set(`${from}->${to}`, 'ok');
  return links;
}

function testContext(extra: Partial<Database> = {}): TestContext {
  const db: Database = { name: 'none', setup: async () => {}, teardown: async () => {}, isRunning: async () => true, ...extra };
  return {
    name: 'netns-hosts',
    nodes,
    remotes,
    db,
    databaseOptions: {},
    log: { info: () => {}, warn: (message) => assert.fail(`unexpected warning: ${message}`) },
    relativeTimeNs: () => 0,
  };
}

function nemesisOp(f: string, value: Op['value'] = null): Op {
  return { type: 'invoke', f, value, process: NEMESIS_PROCESS, time: 0, index: 0 };
}

function namespacesWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

function linksWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => (line.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

/** Running, as opposed to gone or a zombie waiting for a parent that never reaps it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

let serverPids: number[] = [];

before(async () => {
  assert.equal(process.getuid?.(), 0, 'netns-hosts tests create network namespaces: run them as root');
  for (const tool of ['ip', 'tc', 'iptables']) {
    assert.doesNotThrow(
      () => execFileSync('sh', ['-c', `command -v ${tool}`]),
      `${tool} is missing: install iproute2 and iptables (scripts/install-jepsen-deps.sh)`,
    );
  }
  await hosts.create();
  remotes = hosts.remotes();
  nodes = [...remotes.keys()];
  serverPids = await Promise.all(
    nodes.map(async (node) => {
      const remote = remotes.get(node) as NetnsRemote;
      const { stdout } = await remote.exec(`${shellQuote(process.execPath)} -e ${shellQuote(SERVER_SCRIPT)} ${node} >/dev/null 2>&1 & echo $!`);
      return Number(stdout.trim());
    }),
  );
  for (let attempt = 1; ; attempt++) {
    const seen = await probe(root);
    if ([...seen.values()].every(({ outcome }) => outcome === 'ok')) break;
    assert.ok(attempt < SERVER_START_ATTEMPTS_MAX, `servers in the hosts did not start: ${JSON.stringify([...seen])}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  await hosts.destroy();
});

describe('namespace hosts', () => {
  test('up makes host0..host4 with the planned names and addresses', () => {
    assert.deepEqual(
      hosts.hosts.map((host) => `${host.node} ${host.namespace} ${host.address} ${host.interfaceName}`),
      [0, 1, 2, 3, 4].map((index) => `host${index} ${PREFIX}-host${index} ${SUBNET}.${10 + index} eth0`),
    );
    assert.deepEqual(namespacesWithPrefix(PREFIX).sort(), hosts.hosts.map((host) => host.namespace).sort());
  });

  test('every host reaches every other, and the control machine reaches all', async () => {
    assert.deepEqual(await reachability(), everyLinkUp());
    for (const [, { outcome }] of await probe(root)) assert.equal(outcome, 'ok');
  });

  test('a majority partition cuts exactly the links between the two sides, both ways; stop heals all', async () => {
    const test = testContext();
    const nemesis = new PartitionNemesis({ random: seededRandom(42), shape: 'majority' });
    // The nemesis draws its partition first from the same seed, so this is its grudge.
    const grudge = grudgeFor('majority', nodes, seededRandom(42));
    await nemesis.setup(test);
    try {
      const started = await nemesis.invoke(test, nemesisOp('start-partition'));
      assert.equal(started.error, undefined);
      assert.match(String(started.value), /^majority: cut off \{/);
      const expected = new Map<string, string>();
      for (const from of nodes) {
        for (const to of nodes) if (from !== to) expected.set(`${from}->${to}`, visibleFrom(grudge, nodes, from).has(to) ? 'ok' : 'timeout');
      }
      assert.deepEqual(await reachability(), expected);
      assert.equal([...expected.values()].filter((outcome) => outcome === 'timeout').length, 2 * 2 * 3, 'a 2/3 split cuts 6 links, each both ways');
      for (const [, { outcome }] of await probe(root)) assert.equal(outcome, 'ok', 'clients in the control machine still reach every node');

      const stopped = await nemesis.invoke(test, nemesisOp('stop-partition'));
      assert.equal(stopped.value, 'fully connected');
      assert.deepEqual(await reachability(), everyLinkUp());
    } finally {
      await nemesis.teardown(test);
    }
    for (const remote of remotes.values()) {
      const rules = (await remote.exec('iptables -w -S')).stdout;
      assert.ok(!rules.includes(DROP_CHAIN_DEFAULT), `teardown left ${DROP_CHAIN_DEFAULT} on ${remote.node}: ${rules}`);
    }
  });

  test('a one-way reject cut refuses one direction of a primary-replica link at once (a TCP reset) and leaves every other link up', async () => {
    const links = [['host1', 'host2']] as const;
    const test = testContext({ replicaLinks: async () => links.map(([p, r]) => [p, r] as const) });
    const nemesis = new PartitionNemesis({ random: seededRandom(3), shapes: ['one-way'] });
    const grudge = grudgeFor('one-way', nodes, seededRandom(3), [], links);
    const [deaf, dropped] = [...grudge].find(([, from]) => from.size > 0)!;
    const unheard = [...dropped][0]!;
    await nemesis.setup(test);
    try {
      const started = await nemesis.invoke(test, nemesisOp('start-partition', 'one-way:reject'));
      assert.equal(started.error, undefined);
      assert.equal(started.value, `one-way:reject: cut off {${deaf} #{${unheard}}}`);
      const expected = everyLinkUp();
      // The deaf side's connect never hears the answer (its SYN-ACK is refused): silence.
      expected.set(`${deaf}->${unheard}`, 'timeout');
      // The unheard side is told at once: its SYN is answered with a reset.
      expected.set(`${unheard}->${deaf}`, 'ECONNREFUSED');
      assert.deepEqual(await reachability(), expected);
      const refused = await probe(remotes.get(unheard)!, [deaf]);
      assert.ok((refused.get(deaf)?.connectMs ?? 0) === -1, 'the refused connect never completed');

      await nemesis.invoke(test, nemesisOp('stop-partition'));
      assert.deepEqual(await reachability(), everyLinkUp());
    } finally {
      await nemesis.teardown(test);
    }
  });

  test('delay on one host slows every connection to it and no other, where the kernel has netem; elsewhere the nemesis refuses at setup', async (t) => {
    const test = testContext();
    const delayMs = 400;
    const nemesis = new PacketNemesis({ random: seededRandom(1), delayMs, jitterMs: 0 });
    if (!(await new NetControl().supportsDelay(remotes.get('host1')!))) {
      // Kernels built without CONFIG_NET_SCH_NETEM (this project's test VMs among them)
      // cannot delay packets at all; the nemesis must say so rather than run without effect.
      t.diagnostic('this kernel has no netem: checking that the delay nemesis refuses');
      await assert.rejects(nemesis.setup(test), (error: NemesisError) => {
        assert.equal(error.code, 'NEMESIS_UNSUPPORTED');
        assert.match(error.message, /the kernel of host0, host1, host2, host3, host4 has none \(CONFIG_NET_SCH_NETEM is off\)/);
        return true;
      });
      return;
    }
    await nemesis.setup(test);
    try {
      const started = await nemesis.invoke(test, nemesisOp('start-delay', ['host1']));
      assert.deepEqual(started.value, ['host1']);
      const qdisc = (await remotes.get('host1')!.exec('tc qdisc show dev eth0 root')).stdout;
      assert.match(qdisc, /netem .*delay 400ms/);
      const seen = await probe(remotes.get('host0')!, ['host1', 'host2']);
      assert.equal(seen.get('host1')?.outcome, 'ok');
      assert.ok((seen.get('host1')?.connectMs ?? 0) >= delayMs * 0.95, `connect to the delayed host took ${seen.get('host1')?.connectMs} ms`);
      assert.ok((seen.get('host2')?.connectMs ?? Infinity) < delayMs / 2, `connect to an undelayed host took ${seen.get('host2')?.connectMs} ms`);

      await nemesis.invoke(test, nemesisOp('stop-delay'));
      assert.doesNotMatch((await remotes.get('host1')!.exec('tc qdisc show dev eth0 root')).stdout, /netem/);
      const healed = await probe(remotes.get('host0')!, ['host1']);
      assert.ok((healed.get('host1')?.connectMs ?? Infinity) < delayMs / 2, `after stop-delay connect took ${healed.get('host1')?.connectMs} ms`);
    } finally {
      await nemesis.teardown(test);
    }
  });

  test('losing every incoming packet cuts a host off, for others only; stop-loss brings it back and leaves no rule', async () => {
    const test = testContext();
    const nemesis = new PacketNemesis({ random: seededRandom(1), lossPercent: 100 });
    await nemesis.setup(test);
    try {
      const started = await nemesis.invoke(test, nemesisOp('start-loss', ['host2']));
      assert.deepEqual(started.value, ['host2']);
      assert.equal((await probe(remotes.get('host3')!, ['host2'])).get('host2')?.outcome, 'timeout');
      assert.equal((await probe(remotes.get('host3')!, ['host4'])).get('host4')?.outcome, 'ok');
      assert.equal(
        (
          await remotes
            .get('host2')!
            .exec(`${shellQuote(process.execPath)} -e "require('net').connect(${PORT}, '127.0.0.1').on('data', (d) => console.log(String(d)))"`)
        ).stdout,
        'host2\n',
        'loopback is not lost',
      );
      await nemesis.invoke(test, nemesisOp('stop-loss'));
      assert.equal((await probe(remotes.get('host3')!, ['host2'])).get('host2')?.outcome, 'ok');
      assert.doesNotMatch((await remotes.get('host2')!.exec('iptables -w -S')).stdout, /MINISQL-JEPSEN/);
    } finally {
      await nemesis.teardown(test);
    }
  });

  test('the interface to delay is found from the host address', async () => {
    assert.equal(await new NetControl().interfaceOf(remotes.get('host4')!), 'eth0');
  });

  test('the clock nemesis refuses namespace hosts at setup: they share one kernel clock', async () => {
    await assert.rejects(new ClockNemesis().setup(testContext()), (error: NemesisError) => {
      assert.equal(error.code, 'NEMESIS_CLOCK_SHARED');
      assert.match(error.message, /the control machine, host0, host1, host2, host3, host4 share one kernel clock/);
      return true;
    });
  });

  test('down kills the processes in the hosts and removes namespaces, veths and bridge; a second down is harmless', async () => {
    assert.ok(serverPids.length === 5 && serverPids.every(isAlive), 'servers running before down');
    await hosts.destroy();
    assert.deepEqual(namespacesWithPrefix(PREFIX), []);
    assert.deepEqual(linksWithPrefix(PREFIX), []);
    assert.ok(!execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }).includes(`minisql-jepsen ${PREFIX}`), 'forward rule removed');
    for (let attempt = 0; attempt < 20 && serverPids.some(isAlive); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(serverPids.filter(isAlive), [], 'every server in the hosts was killed');
    await hosts.destroy();
  });
});

describe('host cleanup outside the test process', () => {
  const childPrefix = 'mjtx';
  const childSubnet = '10.78.2';
  const childScript = (ending: string): string => `
    import { NetnsHosts } from ${JSON.stringify(new URL('../src/control/netns-hosts.js', import.meta.url).href)};
    const hosts = new NetnsHosts({ prefix: '${childPrefix}', subnet: '${childSubnet}', hostCount: 2 });
    await hosts.create();
    console.log('ready');
    ${ending}
  `;

  after(() => {
    execFileSync('bash', [HOSTS_SCRIPT_PATH, 'down'], { env: { ...process.env, JEPSEN_NET_PREFIX: childPrefix, JEPSEN_NET_SUBNET: childSubnet } });
  });

  async function runChild(ending: string, signal?: NodeJS.Signals): Promise<void> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(ending)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', () => resolve());
    });
    if (signal) child.kill(signal);
    await exited;
    clearTimeout(killer);
  }

  test('a process that exits without destroying its hosts still removes them', async () => {
    await runChild('process.exit(0);');
    assert.deepEqual(namespacesWithPrefix(childPrefix), []);
    assert.deepEqual(linksWithPrefix(childPrefix), []);
  });

  test('a process ended by SIGTERM removes its hosts before it dies', async () => {
    await runChild('setTimeout(() => {}, 60000);', 'SIGTERM');
    assert.deepEqual(namespacesWithPrefix(childPrefix), []);
  });

  test('up after a crash (SIGKILL, nothing removed) clears the leftovers and builds the hosts afresh', async () => {
    await runChild('setTimeout(() => {}, 60000);', 'SIGKILL');
    assert.deepEqual(namespacesWithPrefix(childPrefix).sort(), [`${childPrefix}-host0`, `${childPrefix}-host1`], 'a crash leaves the hosts behind');
    const again = new NetnsHosts({ prefix: childPrefix, subnet: childSubnet, hostCount: 2 });
    try {
      await again.create();
      assert.deepEqual(namespacesWithPrefix(childPrefix).sort(), [`${childPrefix}-host0`, `${childPrefix}-host1`]);
    } finally {
      await again.destroy();
    }
    assert.deepEqual(namespacesWithPrefix(childPrefix), []);
  });
});
