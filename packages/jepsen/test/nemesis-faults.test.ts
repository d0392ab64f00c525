/**
 * The nemeses' decisions and bookkeeping, against remotes that record commands and a
 * database that records calls: which nodes, which rules, what gets healed at teardown.
 * The same nemeses against real namespaces are in netns-hosts.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Database } from '../src/db/database.js';
import { CONTROL_MACHINE, ClockNemesis, clockOffsetsSeconds, setClockCommand, sharedClockGroups } from '../src/nemesis/nemesis-clock.js';
import { composeNemeses } from '../src/nemesis/nemesis-compose.js';
import { NemesisError } from '../src/jepsen-errors.js';
import { noopNemesis } from '../src/nemesis/nemesis-noop.js';
import { PacketNemesis, delayNemesis, lossNemesis } from '../src/nemesis/nemesis-packet.js';
import { PartitionNemesis, parsePartitionValue } from '../src/nemesis/nemesis-partition.js';
import { killNemesis, pauseNemesis } from '../src/nemesis/nemesis-process.js';
import { parseTargetSpec, selectTargets } from '../src/nemesis/nemesis-targets.js';
import {
  DROP_CHAIN_DEFAULT,
  NetControl,
  delayScript,
  dropScript,
  grudgeDrops,
  healScript,
  lossScript,
  netemArguments,
  netemProbeScript,
  removeChainScript,
} from '../src/control/net-control.js';
import { NEMESIS_PROCESS, type Op } from '@minisql/checker';
import { completeGrudge } from '../src/nemesis/partition-shapes.js';
import { type ExecOptions, type ExecResult, type Remote, RemoteError } from '../src/control/remote.js';
import { seededRandom } from '@minisql/common';
import type { TestContext } from '../src/test-context.js';

const NODES = ['host0', 'host1', 'host2', 'host3', 'host4'];
const addressOf = (node: string): string => `10.9.0.${10 + NODES.indexOf(node)}`;

/** A remote that records every command and fails those matching `failing`. */
class RecordingRemote implements Remote {
  readonly commands: string[] = [];
  failing: RegExp | undefined;
  /** Whether this node's kernel has netem. */
  netem = true;
  constructor(
    readonly node: string,
    readonly address: string,
  ) {}
  async exec(command: string, _options?: ExecOptions): Promise<ExecResult> {
    this.commands.push(command);
    if (this.failing?.test(command)) throw new RemoteError('REMOTE_FAILED', this.node, command, 'refused by the test');
    if (command.includes('boot_id')) return { stdout: `boot-${this.node}\n`, stderr: '', exitCode: 0 };
    if (command === netemProbeScript()) return { stdout: `${this.netem ? 'netem' : 'none'}\n`, stderr: '', exitCode: 0 };
    return { stdout: 'eth0\n', stderr: '', exitCode: 0 };
  }
  async upload(): Promise<void> {}
  async download(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A database that records kill/start/pause/resume calls. */
function recordingDatabase(
  options: { primaries?: string[]; withoutProcessControl?: boolean; processes?: (node: string) => string[] } = {},
): Database & { calls: string[]; down: Set<string>; failing: Set<string>; survivors: Set<string> } {
  const calls: string[] = [];
  /** Nodes whose database is not running. */
  const down = new Set<string>();
  /** Methods that throw ("kill host1"). */
  const failing = new Set<string>();
  /** Nodes whose database outlives a kill. */
  const survivors = new Set<string>();
  const record = (method: string) => async (_test: TestContext, node: string, only?: readonly string[]) => {
    calls.push(only ? `${method} ${node} ${only.join('+')}` : `${method} ${node}`);
    if (method === 'kill' && !survivors.has(node)) down.add(node);
    if (method === 'start') down.delete(node);
    if (failing.has(`${method} ${node}`)) throw new Error(`${method} failed on ${node}`);
  };
  return {
    name: 'fake',
    calls,
    down,
    failing,
    survivors,
    setup: async () => {},
    teardown: async () => {},
    isRunning: async (_test, node) => !down.has(node),
    ...(options.withoutProcessControl ? {} : { kill: record('kill'), start: record('start'), pause: record('pause'), resume: record('resume') }),
    ...(options.primaries === undefined ? {} : { primaries: async () => options.primaries ?? [] }),
    ...(options.processes === undefined ? {} : { processes: (_test: TestContext, node: string) => options.processes?.(node) ?? [] }),
  };
}

/** minisql's layout: host0 runs etcd and the master, the others etcd and a region. */
const minisqlLayout = (node: string): string[] => (node === 'host0' ? ['etcd', 'master'] : ['etcd', 'region']);

function testContext(db: Database = recordingDatabase()): TestContext & { remotesByNode: Map<string, RecordingRemote>; warnings: string[] } {
  const remotesByNode = new Map(NODES.map((node) => [node, new RecordingRemote(node, addressOf(node))]));
  const warnings: string[] = [];
  return {
    name: 'unit',
    nodes: NODES,
    remotes: remotesByNode,
    remotesByNode,
    db,
    databaseOptions: {},
    log: { info: () => {}, warn: (message) => warnings.push(message) },
    warnings,
    relativeTimeNs: () => 0,
  };
}

function nemesisOp(f: string, value: Op['value'] = null): Op {
  return { type: 'invoke', f, value, process: NEMESIS_PROCESS, time: 0, index: 0 };
}

const commandsOf = (test: ReturnType<typeof testContext>, node: string): string[] => test.remotesByNode.get(node)?.commands ?? [];

describe('target selection', () => {
  const random = seededRandom(11);
  test('one, minority, majority, minority-third and all have the sizes Jepsen gives them', () => {
    assert.equal(selectTargets('one', NODES, random).length, 1);
    assert.equal(selectTargets('minority', NODES, random).length, 2);
    assert.equal(selectTargets('majority', NODES, random).length, 3);
    assert.equal(selectTargets('minority-third', NODES, random).length, 1);
    assert.deepEqual(selectTargets('all', NODES, random), NODES);
    assert.equal(new Set(selectTargets('majority', NODES, random)).size, 3, 'no node twice');
  });

  test('primaries are the database primaries among the nodes, and none is NEMESIS_NO_PRIMARIES', () => {
    assert.deepEqual(selectTargets('primaries', NODES, random, ['host3', 'elsewhere']), ['host3']);
    assert.throws(
      () => selectTargets('primaries', NODES, random, []),
      (error: NemesisError) => error.code === 'NEMESIS_NO_PRIMARIES',
    );
  });

  test('an op value names a spec or lists nodes; null means the configured spec; nonsense is refused', () => {
    assert.equal(parseTargetSpec(null, 'one'), 'one');
    assert.equal(parseTargetSpec('minority_third', 'one'), 'minority-third');
    assert.deepEqual(parseTargetSpec(['host1'], 'one'), ['host1']);
    assert.throws(
      () => parseTargetSpec(3, 'one'),
      (error: NemesisError) => error.code === 'NEMESIS_BAD_VALUE',
    );
    assert.throws(() => selectTargets(['host9'], NODES, random), /host9 are not among the nodes this fault can hit/);
  });
});

describe('network commands', () => {
  test('netem delays with an optional normal jitter; nothing else is accepted', () => {
    assert.deepEqual(netemArguments({ delayMs: 50, jitterMs: 10 }), ['delay', '50ms', '10ms', 'distribution', 'normal']);
    assert.deepEqual(netemArguments({ delayMs: 100 }), ['delay', '100ms']);
    assert.throws(() => netemArguments({ delayMs: 0 }), /delayMs must be more than 0/);
    assert.equal(delayScript('eth0', { delayMs: 5 }), 'tc qdisc replace dev eth0 root netem delay 5ms');
    assert.match(delayScript('eth0', null), /grep -q netem; then tc qdisc del dev eth0 root/);
  });

  test('loss drops a random share of incoming packets, loopback excepted, in a chain of its own', () => {
    const script = lossScript('MINISQL-JEPSEN-LOSS', 20);
    assert.match(script, /-A MINISQL-JEPSEN-LOSS ! -i lo -m statistic --mode random --probability 0\.200000 -j DROP$/);
    assert.match(script, /iptables -w -C INPUT -j MINISQL-JEPSEN-LOSS/);
    assert.throws(() => lossScript('MINISQL-JEPSEN-LOSS', 150), /lossPercent must be more than 0 and at most 100/);
  });

  test('drops go into our own chain, hooked from INPUT once, replacing earlier drops', () => {
    const script = dropScript(DROP_CHAIN_DEFAULT, ['10.9.0.11', '10.9.0.12']);
    assert.match(script, /iptables -w -C INPUT -j MINISQL-JEPSEN 2>\/dev\/null \|\| iptables -w -I INPUT 1 -j MINISQL-JEPSEN/);
    assert.ok(script.indexOf('-F MINISQL-JEPSEN') < script.indexOf('-A MINISQL-JEPSEN'), 'flushes before adding');
    assert.match(script, /-A MINISQL-JEPSEN -s 10\.9\.0\.11 -j DROP\n.*-s 10\.9\.0\.12 -j DROP$/);
    assert.match(healScript(DROP_CHAIN_DEFAULT), /^if iptables -w -n -L MINISQL-JEPSEN .*; then iptables -w -F MINISQL-JEPSEN; fi$/);
    assert.match(removeChainScript(DROP_CHAIN_DEFAULT), /-D INPUT -j MINISQL-JEPSEN[\s\S]*-X MINISQL-JEPSEN/);
  });

  test('a reject cut answers TCP with a reset and everything else with port unreachable, per source', () => {
    const script = dropScript(DROP_CHAIN_DEFAULT, ['10.9.0.11'], 'reject');
    assert.match(
      script,
      /-A MINISQL-JEPSEN -s 10\.9\.0\.11 -p tcp -j REJECT --reject-with tcp-reset\n.*-A MINISQL-JEPSEN -s 10\.9\.0\.11 -j REJECT --reject-with icmp-port-unreachable$/,
    );
    assert.doesNotMatch(script, /-j DROP/);
  });

  test('a partition value names its shape and its cut; an unknown cut is refused by name', () => {
    assert.deepEqual(parsePartitionValue('majority'), { shape: 'majority', action: 'drop' });
    assert.deepEqual(parsePartitionValue('one-way:reject'), { shape: 'one-way', action: 'reject' });
    assert.throws(
      () => parsePartitionValue('majority:smash'),
      (error: NemesisError) => error.code === 'NEMESIS_BAD_VALUE' && /majority:smash/.test(error.message),
    );
    assert.throws(
      () => parsePartitionValue('majority:reject:drop'),
      (error: NemesisError) => error.code === 'NEMESIS_BAD_VALUE',
    );
  });

  test('addresses and names that a shell would misread are refused before anything runs', () => {
    assert.throws(() => dropScript(DROP_CHAIN_DEFAULT, ['10.0.0.1; reboot']), /invalid node address/);
    assert.throws(() => dropScript('bad chain', []), /invalid iptables chain/);
    assert.throws(() => delayScript('eth0 root', null), /invalid interface/);
  });

  test('a grudge becomes, per node, the addresses it drops', () => {
    const drops = grudgeDrops(completeGrudge([['host0'], ['host1', 'host2']]), addressOf);
    assert.deepEqual(drops.get('host0'), ['10.9.0.11', '10.9.0.12']);
    assert.deepEqual(drops.get('host1'), ['10.9.0.10']);
  });
});

describe('partition nemesis', () => {
  test('start-partition cuts the shape named by the value, names the grudge, and stop heals every node', async () => {
    const test = testContext();
    const nemesis = new PartitionNemesis({ random: seededRandom(5), net: new NetControl() });
    await nemesis.setup(test);
    const started = await nemesis.invoke(test, nemesisOp('start-partition', 'halves'));
    assert.equal(started.type, 'info');
    assert.equal(
      started.value,
      'halves: cut off {host0 #{host2 host3 host4}, host1 #{host2 host3 host4}, host2 #{host0 host1}, host3 #{host0 host1}, host4 #{host0 host1}}',
    );
    assert.equal(started.error, undefined);
    const host0Drops = commandsOf(test, 'host0').at(-1) ?? '';
    assert.match(host0Drops, /-s 10\.9\.0\.12 -j DROP\n.*-s 10\.9\.0\.13 -j DROP\n.*-s 10\.9\.0\.14 -j DROP$/);
    const stopped = await nemesis.invoke(test, nemesisOp('stop-partition'));
    assert.equal(stopped.value, 'fully connected');
    for (const node of NODES) assert.equal(commandsOf(test, node).at(-1), healScript(DROP_CHAIN_DEFAULT));
    await nemesis.teardown(test);
    for (const node of NODES) assert.equal(commandsOf(test, node).at(-1), removeChainScript(DROP_CHAIN_DEFAULT));
  });

  test('a null value uses the configured shape; an unknown shape is an error, not a silent no-op', async () => {
    const test = testContext();
    const nemesis = new PartitionNemesis({ random: seededRandom(5), shape: 'one' });
    const started = await nemesis.invoke(test, nemesisOp('start-partition'));
    assert.match(String(started.value), /^one: cut off /);
    await assert.rejects(nemesis.invoke(test, nemesisOp('start-partition', 'triangle')), (error: NemesisError) => error.code === 'NEMESIS_BAD_VALUE');
  });

  test('a node that refuses its rules is named in the completion, and teardown fails for it until healed', async () => {
    const test = testContext();
    const nemesis = new PartitionNemesis({ random: seededRandom(5) });
    test.remotesByNode.get('host3')!.failing = /DROP/;
    const started = await nemesis.invoke(test, nemesisOp('start-partition', 'majority'));
    assert.match(started.error ?? '', /^host3: REMOTE_FAILED/);
    test.remotesByNode.get('host3')!.failing = /-X/;
    await assert.rejects(nemesis.teardown(test), (error: NemesisError) => error.code === 'NEMESIS_HEAL_FAILED' && /host3/.test(error.message));
    test.remotesByNode.get('host3')!.failing = undefined;
    await nemesis.teardown(test);
  });

  test('teardown never fails on nodes where nothing was done, even when they cannot be reached', async () => {
    const test = testContext();
    const nemesis = new PartitionNemesis({ random: seededRandom(5) });
    for (const remote of test.remotesByNode.values()) remote.failing = /./;
    await nemesis.teardown(test);
    assert.equal(test.warnings.length, 1);
    assert.match(test.warnings[0] ?? '', /never touched/);
  });

  test('the primaries shape isolates the primaries the database names, and setup refuses a database that cannot name them', async () => {
    const test = testContext(recordingDatabase({ primaries: ['host2'] }));
    const nemesis = new PartitionNemesis({ random: seededRandom(5), shape: 'primaries' });
    await nemesis.setup(test);
    const started = await nemesis.invoke(test, nemesisOp('start-partition'));
    assert.equal(started.value, 'primaries: cut off {host0 #{host2}, host1 #{host2}, host2 #{host0 host1 host3 host4}, host3 #{host2}, host4 #{host2}}');
    await assert.rejects(
      new PartitionNemesis({ random: seededRandom(1), shape: 'primaries' }).setup(testContext()),
      (error: NemesisError) => error.code === 'NEMESIS_UNSUPPORTED',
    );
    const noPrimary = await new PartitionNemesis({ random: seededRandom(1) }).invoke(
      testContext(recordingDatabase({ primaries: [] })),
      nemesisOp('start-partition', 'primaries'),
    );
    assert.match(noPrimary.error ?? '', /NEMESIS_NO_PRIMARIES/);
  });
});

describe('kill and pause nemeses', () => {
  test('kill hits the targets through the adapter, start restarts exactly those, teardown restarts what is left', async () => {
    const db = recordingDatabase();
    const test = testContext(db);
    const nemesis = killNemesis({ random: seededRandom(2), targets: 'minority' });
    await nemesis.setup(test);
    const killed = await nemesis.invoke(test, nemesisOp('kill'));
    assert.equal((killed.value as string[]).length, 2);
    assert.equal(killed.node, (killed.value as string[]).join(','));
    const started = await nemesis.invoke(test, nemesisOp('start'));
    assert.deepEqual(new Set(started.value as string[]), new Set(killed.value as string[]));
    const again = await nemesis.invoke(test, nemesisOp('kill', ['host4']));
    assert.deepEqual(again.value, ['host4']);
    db.calls.length = 0;
    await nemesis.teardown(test);
    assert.deepEqual(db.calls, ['start host4']);
    db.calls.length = 0;
    await nemesis.teardown(test);
    assert.deepEqual(db.calls, [], 'nothing left to heal');
  });

  test('a kill that fails is restarted at teardown only if the database is down', async () => {
    const db = recordingDatabase();
    const test = testContext(db);
    const nemesis = killNemesis({ random: seededRandom(2) });
    db.failing.add('kill host1');
    db.failing.add('kill host2');
    db.survivors.add('host2');
    const killed = await nemesis.invoke(test, nemesisOp('kill', ['host1', 'host2']));
    assert.deepEqual(killed.value, []);
    assert.match(killed.error ?? '', /host1: kill failed on host1; host2: kill failed on host2/);
    db.calls.length = 0;
    await nemesis.teardown(test);
    assert.deepEqual(db.calls, ['start host1'], 'host1 went down anyway, host2 kept running');
  });

  test('pause and resume go through the adapter; a database without them is refused at setup, by name', async () => {
    const db = recordingDatabase();
    const test = testContext(db);
    const nemesis = pauseNemesis({ random: seededRandom(2) });
    await nemesis.invoke(test, nemesisOp('pause', 'all'));
    await nemesis.invoke(test, nemesisOp('resume'));
    assert.deepEqual(db.calls.filter((call) => call.startsWith('pause')).length, 5);
    assert.deepEqual(db.calls.filter((call) => call.startsWith('resume')).length, 5);
    await assert.rejects(
      killNemesis({ random: seededRandom(1) }).setup(testContext(recordingDatabase({ withoutProcessControl: true }))),
      /NEMESIS_UNSUPPORTED: the kill nemesis needs the fake adapter to implement kill and start\(\)/,
    );
  });
});

describe('faults on some processes of a node (nemesis.processes)', () => {
  test('a region-only kill hits only nodes that run a region, and only that process; start restarts it alone', async () => {
    const db = recordingDatabase({ processes: minisqlLayout });
    const test = testContext(db);
    const nemesis = killNemesis({ random: seededRandom(3), targets: 'all', processes: ['region'] });
    await nemesis.setup(test);
    const killed = await nemesis.invoke(test, nemesisOp('kill'));
    assert.deepEqual(new Set(killed.value as string[]), new Set(['host1', 'host2', 'host3', 'host4']), 'host0 runs no region');
    assert.ok(
      db.calls.every((call) => call.endsWith(' region')),
      `calls: ${db.calls.join('; ')}`,
    );
    db.calls.length = 0;
    await nemesis.invoke(test, nemesisOp('start'));
    assert.deepEqual(new Set(db.calls), new Set(['start host1 region', 'start host2 region', 'start host3 region', 'start host4 region']));
  });

  test('one target is drawn among the nodes that run the process, whatever the seed', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const db = recordingDatabase({ processes: minisqlLayout });
      const nemesis = pauseNemesis({ random: seededRandom(seed), processes: ['master'] });
      const paused = await nemesis.invoke(testContext(db), nemesisOp('pause'));
      assert.deepEqual(paused.value, ['host0'], `seed ${seed} paused ${JSON.stringify(paused.value)}`);
    }
  });

  test('an explicit node that runs none of the processes is refused, naming the nodes that do', async () => {
    const nemesis = killNemesis({ random: seededRandom(1), processes: ['region'] });
    await assert.rejects(
      nemesis.invoke(testContext(recordingDatabase({ processes: minisqlLayout })), nemesisOp('kill', ['host0'])),
      /host0 are not among the nodes this fault can hit \(host1, host2, host3, host4\)/,
    );
  });

  test('a process no node runs, or an adapter that names no processes, is refused at setup', async () => {
    await assert.rejects(
      killNemesis({ random: seededRandom(1), processes: ['regoin'] }).setup(testContext(recordingDatabase({ processes: minisqlLayout }))),
      /NEMESIS_BAD_VALUE: nemesis.processes names regoin, which no node of fake runs \(its processes: etcd, master, region\)/,
    );
    await assert.rejects(
      killNemesis({ random: seededRandom(1), processes: ['region'] }).setup(testContext(recordingDatabase())),
      /NEMESIS_UNSUPPORTED: nemesis.processes needs the fake adapter to name its processes/,
    );
  });
});

describe('delay and loss nemeses', () => {
  test('delay and loss are independent: each stop removes only its own fault', async () => {
    const test = testContext();
    const net = new NetControl({ interfaceName: 'eth0' });
    const nemesis = new PacketNemesis({ random: seededRandom(1), net, delayMs: 40, jitterMs: 0, lossPercent: 30 });
    assert.deepEqual(nemesis.fs, ['start-delay', 'stop-delay', 'start-loss', 'stop-loss']);
    await nemesis.setup(test);
    await nemesis.invoke(test, nemesisOp('start-delay', ['host1']));
    await nemesis.invoke(test, nemesisOp('start-loss', ['host1', 'host2']));
    assert.equal(commandsOf(test, 'host1').at(-2), 'tc qdisc replace dev eth0 root netem delay 40ms');
    assert.match(commandsOf(test, 'host1').at(-1) ?? '', /--probability 0\.300000 -j DROP$/);
    const stoppedDelay = await nemesis.invoke(test, nemesisOp('stop-delay'));
    assert.deepEqual(stoppedDelay.value, ['host1']);
    assert.match(commandsOf(test, 'host1').at(-1) ?? '', /tc qdisc del dev eth0 root/);
    const stoppedLoss = await nemesis.invoke(test, nemesisOp('stop-loss'));
    assert.deepEqual(stoppedLoss.value, ['host1', 'host2']);
    assert.equal(commandsOf(test, 'host2').at(-1), removeChainScript('MINISQL-JEPSEN-LOSS'));
    const before = commandsOf(test, 'host3').length;
    await nemesis.teardown(test);
    assert.equal(commandsOf(test, 'host3').length, before, 'nothing left to heal, nothing run');
  });

  test('the delay nemesis refuses at setup, by node, when a kernel has no netem; loss needs no netem', async () => {
    const test = testContext();
    test.remotesByNode.get('host3')!.netem = false;
    await assert.rejects(delayNemesis({ random: seededRandom(1) }).setup(test), (error: NemesisError) => {
      assert.equal(error.code, 'NEMESIS_UNSUPPORTED');
      assert.match(error.message, /kernel of host3 has none \(CONFIG_NET_SCH_NETEM is off\)/);
      return true;
    });
    await lossNemesis({ random: seededRandom(1) }).setup(test);
    await new PacketNemesis({ random: seededRandom(1), lossPercent: 10 }).setup(test);
  });

  test('a packet nemesis handles the faults whose settings it was given, or both', () => {
    const random = seededRandom(1);
    assert.deepEqual(new PacketNemesis({ random, delayMs: 10 }).fs, ['start-delay', 'stop-delay']);
    assert.deepEqual(new PacketNemesis({ random, lossPercent: 10 }).fs, ['start-loss', 'stop-loss']);
    assert.deepEqual(new PacketNemesis({ random }).fs, ['start-delay', 'stop-delay', 'start-loss', 'stop-loss']);
    assert.deepEqual(new PacketNemesis({ random, delayMs: 10, faults: ['loss'] }).fs, ['start-loss', 'stop-loss']);
  });
});

describe('clock nemesis', () => {
  test('offsets spread around the middle node by step, as pyjepsen shifts them', () => {
    assert.deepEqual([...clockOffsetsSeconds(NODES, 60).values()], [-120, -60, 0, 60, 120]);
    assert.deepEqual([...clockOffsetsSeconds(['a', 'b'], 10).values()], [-10, 0]);
    assert.equal(setClockCommand(1_700_000_000.25), 'date -u -s @1700000000.250 >/dev/null');
  });

  test('nodes sharing a kernel, or the control machine kernel, are found by boot id', () => {
    const bootIds = new Map([
      ['a', 'k1'],
      ['b', 'k1'],
      ['c', 'k2'],
      ['d', 'k3'],
    ]);
    assert.deepEqual(sharedClockGroups(bootIds, 'k9'), [['a', 'b']]);
    assert.deepEqual(sharedClockGroups(bootIds, 'k2'), [
      ['a', 'b'],
      [CONTROL_MACHINE, 'c'],
    ]);
    assert.deepEqual(sharedClockGroups(new Map([['a', 'k1']]), 'k2'), []);
  });

  test('bump-clock shifts every node but the middle one from the control clock, reset-clock sets them back', async () => {
    const test = testContext();
    const nemesis = new ClockNemesis({ stepSeconds: 30, nowMs: () => 1_000_000 });
    await nemesis.setup(test);
    const bumped = await nemesis.invoke(test, nemesisOp('bump-clock'));
    assert.deepEqual(bumped.value, [
      ['host0', -60],
      ['host1', -30],
      ['host3', 30],
      ['host4', 60],
    ]);
    assert.equal(commandsOf(test, 'host0').at(-1), 'date -u -s @940.000 >/dev/null');
    assert.ok(!commandsOf(test, 'host2').some((command) => command.startsWith('date')));
    await nemesis.teardown(test);
    assert.equal(commandsOf(test, 'host4').at(-1), 'date -u -s @1000.000 >/dev/null');
  });
});

describe('composition', () => {
  test('ops are routed by f; two nemeses claiming one f are refused; unknown f is refused by name', async () => {
    const test = testContext();
    const composed = composeNemeses([killNemesis({ random: seededRandom(1) }), new PartitionNemesis({ random: seededRandom(1) })]);
    assert.deepEqual(composed.fs, ['kill', 'start', 'start-partition', 'stop-partition']);
    const killed = await composed.invoke(test, nemesisOp('kill', ['host1']));
    assert.deepEqual(killed.value, ['host1']);
    await assert.rejects(composed.invoke(test, nemesisOp('bump-clock')), /NEMESIS_UNKNOWN_F: no composed nemesis handles f "bump-clock"/);
    assert.throws(() => composeNemeses([killNemesis({ random: seededRandom(1) }), killNemesis({ random: seededRandom(2) })]), /NEMESIS_DUPLICATE_F/);
    await composed.teardown(test);
  });

  test('the noop nemesis (mode None) sets up and tears down, and refuses any op', async () => {
    const test = testContext();
    await noopNemesis.setup(test);
    await assert.rejects(noopNemesis.invoke(test, nemesisOp('kill')), /NEMESIS_UNKNOWN_F/);
    await noopNemesis.teardown(test);
  });
});
