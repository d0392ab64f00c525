/**
 * Clock shifts on real servers (pyjepsen's `clock` mode): `bump-clock` sets node i's clock
 * to the control machine's time plus `step * (i - floor(n / 2))` seconds, so the nodes
 * spread out around the middle one as pyjepsen spreads them; `reset-clock` sets every
 * shifted clock back to the control machine's time. Both use `date -s` as root.
 *
 * Nodes that share a kernel share one clock: network namespaces and containers on one
 * machine cannot be given different times, and setting "one" would move them all, the
 * control machine's included. Setup compares the kernels' boot ids and refuses with
 * NEMESIS_CLOCK_SHARED rather than pretend.
 */
import { readFile } from 'node:fs/promises';
import { NemesisError } from '../jepsen-errors.js';
import { healEverywhere, nemesisCompletion, onNodes } from './nemesis-outcome.js';
import type { Nemesis } from './nemesis.js';
import type { Op, OpValue } from '@minisql/checker';
import { type TestContext, remoteOf } from '../test-context.js';

export const BUMP_CLOCK = 'bump-clock';
export const RESET_CLOCK = 'reset-clock';
/** Where Linux keeps the id of the running kernel, new at every boot. */
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';
/** The name the control machine goes by in messages about shared clocks. */
export const CONTROL_MACHINE = 'the control machine';
/** Limit on one date command. */
const CLOCK_COMMAND_TIMEOUT_MS = 15_000;

export interface ClockNemesisOptions {
  /** Seconds between neighbouring nodes' clocks when an op's value is null (pyjepsen's `step`). Default 60. */
  stepSeconds?: number;
  /** The control machine's clock, in milliseconds since the epoch. Default Date.now. */
  nowMs?: () => number;
}

/** Each node's shift in seconds: pyjepsen's spread around the middle node, which stays put. */
export function clockOffsetsSeconds(nodes: readonly string[], stepSeconds: number): Map<string, number> {
  if (!Number.isFinite(stepSeconds)) throw new NemesisError('NEMESIS_BAD_VALUE', `clock step must be a number of seconds, not ${stepSeconds}`);
  const middle = Math.floor(nodes.length / 2);
  return new Map(nodes.map((node, index) => [node, stepSeconds * (index - middle)]));
}

/**
 * Groups of machines that share a kernel, hence a clock: nodes with the same boot id,
 * and nodes whose boot id is the control machine's (named CONTROL_MACHINE in the group).
 */
export function sharedClockGroups(bootIds: ReadonlyMap<string, string>, controlBootId: string): string[][] {
  const byBootId = new Map<string, string[]>();
  for (const [node, bootId] of bootIds) byBootId.set(bootId, [...(byBootId.get(bootId) ?? []), node]);
  const groups: string[][] = [];
  for (const [bootId, nodes] of byBootId) {
    const withControl = bootId === controlBootId ? [CONTROL_MACHINE, ...nodes] : nodes;
    if (withControl.length > 1) groups.push(withControl);
  }
  return groups;
}

/** The shell command that sets the clock to `epochSeconds` (UTC, millisecond precision). */
export function setClockCommand(epochSeconds: number): string {
  return `date -u -s @${epochSeconds.toFixed(3)} >/dev/null`;
}

export class ClockNemesis implements Nemesis {
  readonly fs = [BUMP_CLOCK, RESET_CLOCK] as const;
  private readonly stepSeconds: number;
  private readonly nowMs: () => number;
  /** Nodes whose clocks may be off, until reset. */
  private readonly harmed = new Set<string>();

  constructor(options: ClockNemesisOptions = {}) {
    this.stepSeconds = options.stepSeconds ?? 60;
    this.nowMs = options.nowMs ?? Date.now;
    clockOffsetsSeconds([], this.stepSeconds);
  }

  async setup(test: TestContext): Promise<void> {
    const read = await Promise.all(
      test.nodes.map(async (node) => {
        const { stdout } = await remoteOf(test, node).exec(`cat ${BOOT_ID_PATH}`, { timeoutMs: CLOCK_COMMAND_TIMEOUT_MS });
        return [node, stdout.trim()] as const;
      }),
    );
    const bootIds = new Map(read);
    const controlBootId = (await readFile(BOOT_ID_PATH, 'utf8')).trim();
    const groups = sharedClockGroups(bootIds, controlBootId);
    if (groups.length > 0) {
      throw new NemesisError(
        'NEMESIS_CLOCK_SHARED',
        `the clock nemesis needs nodes with clocks of their own, and ${groups.map((group) => group.join(', ')).join('; ')} share one kernel clock ` +
          '(network namespaces or containers on one machine). Use real servers over SSH, or another nemesis mode.',
      );
    }
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    switch (op.f) {
      case BUMP_CLOCK: {
        if (op.value !== null && typeof op.value !== 'number') {
          throw new NemesisError('NEMESIS_BAD_VALUE', `${BUMP_CLOCK} takes a step in seconds or null, not ${JSON.stringify(op.value)}`);
        }
        const offsets = [...clockOffsetsSeconds(test.nodes, op.value ?? this.stepSeconds)].filter(([, offset]) => offset !== 0);
        const { done, failed } = await onNodes(
          offsets.map(([node]) => node),
          async (node) => {
            this.harmed.add(node);
            await this.setClock(test, node, offsets.find(([other]) => other === node)?.[1] ?? 0);
          },
        );
        const value: OpValue = offsets.filter(([node]) => done.includes(node)).map(([node, offset]) => [node, offset]);
        return nemesisCompletion(op, value, done, failed);
      }
      case RESET_CLOCK: {
        const { done, failed } = await onNodes([...this.harmed], (node) => this.setClock(test, node, 0));
        for (const node of done) this.harmed.delete(node);
        return nemesisCompletion(op, done, done, failed);
      }
      default:
        throw new NemesisError('NEMESIS_UNKNOWN_F', `the clock nemesis does not handle f ${JSON.stringify(op.f)} (it handles ${this.fs.join(', ')})`);
    }
  }

  async teardown(test: TestContext): Promise<void> {
    await healEverywhere(test, 'clock nemesis', [...this.harmed], this.harmed, (node) => this.setClock(test, node, 0));
  }

  private async setClock(test: TestContext, node: string, offsetSeconds: number): Promise<void> {
    const target = this.nowMs() / 1000 + offsetSeconds;
    await remoteOf(test, node).exec(setClockCommand(target), { timeoutMs: CLOCK_COMMAND_TIMEOUT_MS });
  }
}
