/**
 * Runs the fencing scenarios of testdata/fencing.txt against the pure rules: each block
 * is a command and the exact answer expected. Adding a rule or a window means adding a
 * block there.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { GroupRecord, PlacementRecord } from '@minisql/common';
import { decide, type FencedAction, type FencingDecision, type FencingView } from '../src/fencing.js';
import type { GroupRole } from '../src/group-role.js';

interface Block {
  line: number;
  command: string;
  args: Map<string, string>;
  flags: Set<string>;
  expected: string;
}

/** Blocks of `command args` / `----` / expected output, separated by blank lines; `#` starts a comment. */
function parseScenarios(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const [command, ...words] = line.split(/\s+/);
    if (lines[i + 1]?.trim() !== '----') throw new Error(`fencing.txt:${i + 1}: expected ---- after \`${line}\``);
    const expected: string[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string).trim() !== ''; j += 1) expected.push((lines[j] as string).trim());
    const args = new Map<string, string>();
    const flags = new Set<string>();
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq < 0) flags.add(word);
      else args.set(word.slice(0, eq), word.slice(eq + 1));
    }
    blocks.push({ line: i + 1, command: command as string, args, flags, expected: expected.join('\n') });
    i = j;
  }
  return blocks;
}

interface State {
  role: string;
  epoch: number;
  inSync: number;
  lease: string;
  unconfirmed: number;
  strict: boolean;
  /** `t@g2` (table t served by g2), `t@g1>g2` (served by g1, moving to g2), or `none`. */
  placement: string;
}

function placementsOf(text: string): Map<string, PlacementRecord> {
  if (text === 'none') return new Map();
  const [table, groups] = text.split('@') as [string, string];
  const [group, movingTo] = groups.split('>') as [string, string | undefined];
  return new Map([[table, { table, group, ...(movingTo === undefined ? {} : { movingTo }) }]]);
}

function viewOf(state: State): FencingView {
  const group: GroupRecord = {
    id: 'g1',
    epoch: state.epoch,
    primary: state.role === 'primary' || state.role === 'restarted' ? 'r1' : 'r0',
    inSync: state.role === 'in-sync-replica' ? ['r1'] : Array.from({ length: state.inSync }, (_, i) => `r${i + 2}`),
    catchingUp: state.role === 'replica' ? ['r1'] : [],
  };
  const roles: Record<string, GroupRole> = {
    primary: { kind: 'primary', group },
    restarted: { kind: 'restarted', group },
    replica: { kind: 'replica', group, inSync: false },
    'in-sync-replica': { kind: 'replica', group, inSync: true },
    spare: { kind: 'spare' },
  };
  const role = roles[state.role];
  if (!role) throw new Error(`unknown role ${state.role}`);
  return {
    regionId: 'r1',
    role,
    leaseValid: state.lease === 'valid',
    unconfirmedEntries: state.unconfirmed,
    strictReplication: state.strict,
    placements: placementsOf(state.placement),
  };
}

function describeView(view: FencingView): string {
  const { role } = view;
  const placed = [...(view.placements ?? new Map<string, PlacementRecord>()).values()].map(
    (p) => `, table ${p.table} on ${p.group}${p.movingTo === undefined ? '' : ` moving to ${p.movingTo}`}`,
  );
  const common = `lease ${view.leaseValid ? 'valid' : 'expired'}, ${view.unconfirmedEntries} unconfirmed${placed.join('')}`;
  switch (role.kind) {
    case 'primary':
      return `primary of ${role.group.id} at epoch ${role.group.epoch}, ${role.group.inSync.length} in sync, ${common}, strict ${view.strictReplication}`;
    case 'replica':
      return `${role.inSync ? 'in-sync' : 'catching-up'} replica of ${role.group.id} at epoch ${role.group.epoch} (primary ${role.group.primary}), ${common}`;
    case 'restarted':
      return `restarted primary of ${role.group.id} at epoch ${role.group.epoch}, ${common}`;
    default:
      return `${role.kind}, ${common}`;
  }
}

function describeDecision(decision: FencingDecision): string {
  if (decision.verdict === 'allow') return decision.stale ? 'allow stale' : 'allow';
  return `refuse ${decision.error.code}: ${decision.error.message}${decision.refreshView ? ' (view refreshed)' : ''}`;
}

function action(block: Block): FencedAction {
  const epoch = Number(block.args.get('epoch') ?? 0);
  const table = block.args.get('table');
  const tables = table === undefined ? {} : { tables: [table] };
  switch (block.command) {
    case 'write':
      return { kind: 'write', clientEpoch: epoch, ...tables };
    case 'read':
      return { kind: 'read', clientEpoch: epoch, replicaRead: block.flags.has('replica'), ...tables };
    case 'answer-read':
      return { kind: 'answer-read', ...tables };
    case 'acknowledge':
      return { kind: 'acknowledge' };
    default:
      throw new Error(`fencing.txt:${block.line}: unknown command ${block.command}`);
  }
}

const file = new URL('../../test/testdata/fencing.txt', import.meta.url);
const blocks = parseScenarios(readFileSync(file, 'utf8'));

describe('fencing rules (testdata/fencing.txt)', () => {
  it('has scenarios for every action', () => {
    for (const command of ['view', 'write', 'read', 'answer-read', 'acknowledge']) {
      assert.ok(
        blocks.some((b) => b.command === command),
        `no scenario uses ${command}`,
      );
    }
  });

  it('answers every scenario as written', () => {
    const state: State = { role: 'primary', epoch: 1, inSync: 1, lease: 'valid', unconfirmed: 0, strict: false, placement: 'none' };
    for (const block of blocks) {
      let actual: string;
      if (block.command === 'view') {
        if (block.args.has('role')) state.role = block.args.get('role') as string;
        if (block.args.has('epoch')) state.epoch = Number(block.args.get('epoch'));
        if (block.args.has('in-sync')) state.inSync = Number(block.args.get('in-sync'));
        if (block.args.has('lease')) state.lease = block.args.get('lease') as string;
        if (block.args.has('unconfirmed')) state.unconfirmed = Number(block.args.get('unconfirmed'));
        if (block.args.has('strict')) state.strict = block.args.get('strict') === 'true';
        if (block.args.has('placement')) state.placement = block.args.get('placement') as string;
        actual = describeView(viewOf(state));
      } else {
        actual = describeDecision(decide(viewOf(state), action(block)));
      }
      assert.equal(actual, block.expected, `fencing.txt:${block.line}: ${block.command}`);
    }
  });
});
