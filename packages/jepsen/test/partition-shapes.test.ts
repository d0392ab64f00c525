import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Grudge,
  PARTITION_SHAPES,
  completeGrudge,
  describeGrudge,
  grudgeFor,
  majoritySize,
  minorityThirdSize,
  parsePartitionShape,
  visibleFrom,
} from '../src/nemesis/partition-shapes.js';
import { NemesisError } from '../src/jepsen-errors.js';
import { seededRandom } from '@minisql/common';

const SEEDS = Array.from({ length: 40 }, (_, seed) => seed + 1);
const nodesOf = (count: number): string[] => Array.from({ length: count }, (_, index) => `n${index + 1}`);

function assertEveryNodeHasAnEntry(grudge: Grudge, nodes: readonly string[]): void {
  assert.deepEqual([...grudge.keys()].sort(), [...nodes].sort());
}

function assertSymmetric(grudge: Grudge): void {
  for (const [node, dropped] of grudge) {
    assert.ok(!dropped.has(node), `${node} drops itself`);
    for (const other of dropped) assert.ok(grudge.get(other)?.has(node), `${node} drops ${other} but ${other} hears ${node}`);
  }
}

/** The components of a grudge where everyone hears exactly their own component. */
function components(grudge: Grudge, nodes: readonly string[]): string[][] {
  const seen = new Set<string>();
  const result: string[][] = [];
  for (const node of nodes) {
    if (seen.has(node)) continue;
    const component = [...visibleFrom(grudge, nodes, node)].sort();
    for (const member of component) {
      assert.deepEqual([...visibleFrom(grudge, nodes, member)].sort(), component, `${member} and ${node} do not see the same component`);
      seen.add(member);
    }
    result.push(component);
  }
  return result.sort((a, b) => a.length - b.length);
}

describe('partition shapes', () => {
  test('every shape on 1 to 9 nodes gives an entry for every node and cuts links in both directions', () => {
    for (const shape of PARTITION_SHAPES.filter((candidate) => candidate !== 'one-way')) {
      for (let count = 1; count <= 9; count++) {
        const nodes = nodesOf(count);
        for (const seed of SEEDS.slice(0, 10)) {
          const grudge = grudgeFor(shape, nodes, seededRandom(seed), [nodes[0] as string]);
          assertEveryNodeHasAnEntry(grudge, nodes);
          assertSymmetric(grudge);
        }
      }
    }
  });

  test('one isolates exactly one node, and the seed decides which', () => {
    const nodes = nodesOf(5);
    const loners = new Set<string>();
    for (const seed of SEEDS) {
      const split = components(grudgeFor('one', nodes, seededRandom(seed)), nodes);
      assert.deepEqual(
        split.map((component) => component.length),
        [1, 4],
      );
      loners.add(split[0]?.[0] as string);
    }
    assert.equal(loners.size, 5, 'over 40 seeds every node is the loner at least once');
    const again = grudgeFor('one', nodes, seededRandom(7));
    assert.equal(describeGrudge(again), describeGrudge(grudgeFor('one', nodes, seededRandom(7))), 'same seed, same partition');
  });

  test('majority splits into a majority and a minority with no link between them, also on even counts', () => {
    for (let count = 3; count <= 9; count++) {
      const nodes = nodesOf(count);
      for (const seed of SEEDS.slice(0, 10)) {
        const split = components(grudgeFor('majority', nodes, seededRandom(seed)), nodes);
        assert.equal(split.length, 2);
        assert.equal(split[1]?.length, majoritySize(count));
        assert.equal(split[0]?.length, count - majoritySize(count));
      }
    }
  });

  test('majorities-ring: every node sees a majority including itself, and no two see the same set', () => {
    for (let count = 3; count <= 9; count++) {
      const nodes = nodesOf(count);
      for (const seed of SEEDS) {
        const grudge = grudgeFor('majorities-ring', nodes, seededRandom(seed));
        assertSymmetric(grudge);
        const views = nodes.map((node) => visibleFrom(grudge, nodes, node));
        views.forEach((view, index) => {
          assert.ok(view.has(nodes[index] as string), 'sees itself');
          assert.ok(view.size >= majoritySize(count), `${nodes[index]} sees ${view.size} of ${count}`);
          assert.ok(view.size < count || count <= 3, `${nodes[index]} sees everyone on ${count} nodes`);
        });
        const distinct = new Set(views.map((view) => [...view].sort().join(',')));
        assert.equal(distinct.size, count, `views on ${count} nodes, seed ${seed}: ${describeGrudge(grudge)}`);
      }
    }
  });

  test('majorities-ring on five nodes is a ring: each node hears exactly its two neighbours', () => {
    const nodes = nodesOf(5);
    const grudge = grudgeFor('majorities-ring', nodes, seededRandom(3));
    for (const node of nodes) assert.equal(visibleFrom(grudge, nodes, node).size, 3);
  });

  test('minority-third cuts off fewer than a third of the nodes, and nothing on three or fewer', () => {
    for (let count = 1; count <= 9; count++) {
      const nodes = nodesOf(count);
      const split = components(grudgeFor('minority-third', nodes, seededRandom(count)), nodes);
      const minority = minorityThirdSize(count);
      if (minority === 0) {
        assert.deepEqual(
          split.map((component) => component.length),
          [count],
        );
      } else {
        assert.deepEqual(
          split.map((component) => component.length),
          [minority, count - minority],
        );
        assert.ok(minority * 3 < count);
      }
    }
    assert.equal(minorityThirdSize(5), 1);
    assert.equal(minorityThirdSize(7), 2);
  });

  test('halves splits the nodes in their order, smaller half first, the same every time', () => {
    const nodes = nodesOf(5);
    for (const seed of SEEDS.slice(0, 5)) {
      assert.deepEqual(components(grudgeFor('halves', nodes, seededRandom(seed)), nodes), [
        ['n1', 'n2'],
        ['n3', 'n4', 'n5'],
      ]);
    }
    assert.deepEqual(components(grudgeFor('halves', nodesOf(4), seededRandom(1)), nodesOf(4)), [
      ['n1', 'n2'],
      ['n3', 'n4'],
    ]);
  });

  test('bridge: two halves that cannot hear each other, and one node that hears and is heard by everyone', () => {
    for (let count = 3; count <= 9; count++) {
      const nodes = nodesOf(count);
      for (const seed of SEEDS.slice(0, 10)) {
        const grudge = grudgeFor('bridge', nodes, seededRandom(seed));
        const bridges = nodes.filter((node) => visibleFrom(grudge, nodes, node).size === count);
        assert.equal(bridges.length, 1, describeGrudge(grudge));
        const bridge = bridges[0] as string;
        for (const [, dropped] of grudge) assert.ok(!dropped.has(bridge), 'nobody drops the bridge');
        const others = nodes.filter((node) => node !== bridge);
        const withoutBridge = new Map([...grudge].filter(([node]) => node !== bridge).map(([node, dropped]) => [node, dropped]));
        const sides = components(withoutBridge, others);
        assert.equal(sides.length, 2);
        assert.equal(Math.abs((sides[0]?.length ?? 0) - (sides[1]?.length ?? 0)) <= 1, true);
      }
    }
  });

  test('primaries isolates a non-empty subset of the primaries, each alone, and keeps the rest together', () => {
    const nodes = nodesOf(5);
    const primaries = ['n2', 'n4'];
    const isolatedSets = new Set<string>();
    for (const seed of SEEDS) {
      const grudge = grudgeFor('primaries', nodes, seededRandom(seed), primaries);
      const split = components(grudge, nodes);
      const singles = split.filter((component) => component.length === 1).map((component) => component[0] as string);
      assert.ok(singles.length >= 1 && singles.every((node) => primaries.includes(node)));
      const rest = split.filter((component) => component.length > 1);
      assert.equal(rest.length, 1);
      assert.deepEqual(
        rest[0],
        nodes.filter((node) => !singles.includes(node)),
      );
      isolatedSets.add(singles.sort().join(','));
    }
    assert.deepEqual([...isolatedSets].sort(), ['n2', 'n2,n4', 'n4']);
  });

  test('primaries without any primary is NEMESIS_NO_PRIMARIES, and a primary that is not a node is refused', () => {
    const nodes = nodesOf(3);
    assert.throws(
      () => grudgeFor('primaries', nodes, seededRandom(1), []),
      (error: NemesisError) => error.code === 'NEMESIS_NO_PRIMARIES',
    );
    assert.throws(
      () => grudgeFor('primaries', nodes, seededRandom(1), ['n9']),
      (error: NemesisError) => error.code === 'NEMESIS_BAD_VALUE',
    );
  });

  test('one-way cuts exactly one direction of one primary-replica link, both directions over the seeds, and nothing else', () => {
    const nodes = nodesOf(5);
    const links = [
      ['n1', 'n2'],
      ['n3', 'n4'],
    ] as const;
    const cuts = new Set<string>();
    for (const seed of SEEDS) {
      const grudge = grudgeFor('one-way', nodes, seededRandom(seed), [], links);
      assertEveryNodeHasAnEntry(grudge, nodes);
      const dropping = [...grudge].filter(([, dropped]) => dropped.size > 0);
      assert.equal(dropping.length, 1, describeGrudge(grudge));
      const [deaf, dropped] = dropping[0]!;
      assert.equal(dropped.size, 1);
      const unheard = [...dropped][0]!;
      assert.ok(
        links.some(([p, r]) => (p === deaf && r === unheard) || (p === unheard && r === deaf)),
        `${deaf} drops ${unheard}: not a link`,
      );
      assert.equal(grudge.get(unheard)?.size, 0, 'the other direction stays open');
      cuts.add(`${deaf}<-${unheard}`);
    }
    assert.deepEqual([...cuts].sort(), ['n1<-n2', 'n2<-n1', 'n3<-n4', 'n4<-n3']);
  });

  test('one-way with no link among the nodes is NEMESIS_NO_PRIMARIES', () => {
    assert.throws(
      () => grudgeFor('one-way', nodesOf(3), seededRandom(1), [], []),
      (error: NemesisError) => error.code === 'NEMESIS_NO_PRIMARIES',
    );
    assert.throws(
      () => grudgeFor('one-way', nodesOf(3), seededRandom(1), [], [['n1', 'n9']]),
      (error: NemesisError) => error.code === 'NEMESIS_NO_PRIMARIES',
    );
  });

  test('shape names are read as pyjepsen and Jepsen spell them; unknown names are refused by name', () => {
    assert.equal(parsePartitionShape('majorities_ring'), 'majorities-ring');
    assert.equal(parsePartitionShape('Minority-Third'), 'minority-third');
    assert.throws(() => parsePartitionShape('triangle'), /unknown partition shape "triangle"/);
  });

  test('a grudge prints as Jepsen prints it, in node order, leaving out nodes that drop nothing', () => {
    const grudge = completeGrudge([['host1'], ['host0', 'host10', 'host2']]);
    assert.equal(describeGrudge(grudge), '{host0 #{host1}, host1 #{host0 host2 host10}, host2 #{host1}, host10 #{host1}}');
    assert.equal(describeGrudge(completeGrudge([['a', 'b']])), '{}');
  });

  test('a node list with duplicates is refused', () => {
    assert.throws(() => grudgeFor('majority', ['a', 'a', 'b'], seededRandom(1)), /duplicates/);
  });
});
