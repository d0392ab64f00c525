/**
 * Carries out network faults on a node through its Remote, so the same commands work over
 * SSH on real servers and in the namespace hosts:
 *
 * - cuts (partitions): `iptables` rules in a chain of our own, jumped to from INPUT, so
 *   healing flushes our rules and leaves the node's own firewall alone. A cut either
 *   drops packets (the sender hears nothing and waits for its timeouts) or rejects them
 *   (TCP answered with a reset, anything else with ICMP port unreachable: the sender is
 *   told at once that the connection is refused, as when a process is down or a firewall
 *   says no). The two test different things: a refused connection must not be taken as
 *   proof that the process behind it is dead;
 * - loss: a random share of incoming packets dropped by `iptables -m statistic` in a
 *   second chain of ours, so a partition's heal and a loss's heal never undo each other;
 * - delay: a `tc netem` root qdisc on the interface that carries the node's traffic;
 *   healing deletes it, and only when it is a netem qdisc.
 *
 * Loss is done by iptables rather than netem because iptables is everywhere the
 * partitions already need it, while netem is a kernel option that minimal kernels (the
 * project's own test VMs among them) leave out; delay has no such alternative, so the
 * delay nemesis checks for netem first and says so when it is missing.
 *
 * The command text is built by pure functions (tested without a node); this class only
 * sends it. IPv4 only: addresses are handed to `iptables`, which also resolves names.
 */
import { type Grudge } from '../nemesis/partition-shapes.js';
import { type Remote, RemoteError } from './remote.js';
import { shellQuote } from './shell-quote.js';

/** The chain our partition rules live in; loss rules live in `<chain>-LOSS`. */
export const DROP_CHAIN_DEFAULT = 'MINISQL-JEPSEN';
/** Limit on one firewall or qdisc command on a node. */
export const NET_COMMAND_TIMEOUT_MS_DEFAULT = 15_000;
/** Bound on removing duplicate jumps to our chain (there is normally one). */
const JUMP_REMOVALS_MAX = 10;
/** What `tc` says when the kernel has no such qdisc. */
const UNKNOWN_QDISC_MESSAGE = 'kind is unknown';

/** How a cut link treats packets: silently dropped, or refused at once. */
export type CutAction = 'drop' | 'reject';

export const CUT_ACTIONS: readonly CutAction[] = ['drop', 'reject'];

/** Latency added to every packet a node sends. */
export interface DelaySettings {
  /** In milliseconds, more than 0. */
  delayMs: number;
  /** Spread of the delay (normal distribution), in milliseconds. 0 or absent: exact. */
  jitterMs?: number;
}

export interface NetControlOptions {
  /** iptables chain for drop rules. Default DROP_CHAIN_DEFAULT. */
  chain?: string;
  /**
   * The interface netem delays on every node. Default: found on each node as the one
   * holding the node's address (or, failing that, the default route's).
   */
  interfaceName?: string;
  /** Default NET_COMMAND_TIMEOUT_MS_DEFAULT. */
  commandTimeoutMs?: number;
}

/** The netem arguments for `settings`. */
export function netemArguments(settings: DelaySettings): string[] {
  assertPositiveAtMost('delayMs', settings.delayMs, 3_600_000);
  const args = ['delay', `${settings.delayMs}ms`];
  if (settings.jitterMs !== undefined && settings.jitterMs > 0) {
    assertRange('jitterMs', settings.jitterMs, 0, 3_600_000);
    args.push(`${settings.jitterMs}ms`, 'distribution', 'normal');
  }
  return args;
}

/**
 * For every node of the grudge, the addresses whose packets it drops. `addressOf` maps a
 * node to the address others reach it at.
 */
export function grudgeDrops(grudge: Grudge, addressOf: (node: string) => string): Map<string, string[]> {
  const drops = new Map<string, string[]>();
  for (const [node, dropped] of grudge) drops.set(node, [...dropped].map(addressOf));
  return drops;
}

/**
 * Shell text that makes `chain` cut exactly `sources` (drop or reject their packets),
 * creating and hooking the chain if needed.
 */
export function dropScript(chain: string, sources: readonly string[], action: CutAction = 'drop'): string {
  assertChain(chain);
  return ['set -e', ensureChainScript(chain), `iptables -w -F ${chain}`, ...sources.flatMap((source) => cutRules(chain, assertAddress(source), action))].join(
    '\n',
  );
}

function cutRules(chain: string, source: string, action: CutAction): string[] {
  const from = `iptables -w -A ${chain} -s ${shellQuote(source)}`;
  if (action === 'drop') return [`${from} -j DROP`];
  // A reset for TCP, so connects fail with ECONNREFUSED and open streams break at once;
  // port unreachable for the rest (the default REJECT answer).
  return [`${from} -p tcp -j REJECT --reject-with tcp-reset`, `${from} -j REJECT --reject-with icmp-port-unreachable`];
}

/** Shell text that flushes `chain` if it exists. */
export function healScript(chain: string): string {
  assertChain(chain);
  return `if iptables -w -n -L ${chain} >/dev/null 2>&1; then iptables -w -F ${chain}; fi`;
}

/** Shell text that unhooks and deletes `chain` if it exists. */
export function removeChainScript(chain: string): string {
  assertChain(chain);
  return [
    `if iptables -w -n -L ${chain} >/dev/null 2>&1; then`,
    `  i=0; while [ "$i" -lt ${JUMP_REMOVALS_MAX} ] && iptables -w -C INPUT -j ${chain} 2>/dev/null; do iptables -w -D INPUT -j ${chain}; i=$((i + 1)); done`,
    `  iptables -w -F ${chain}`,
    `  iptables -w -X ${chain}`,
    'fi',
  ].join('\n');
}

/** Shell text that puts `settings` on `interfaceName`, or removes our netem qdisc for null. */
export function delayScript(interfaceName: string, settings: DelaySettings | null): string {
  const device = shellQuote(assertInterface(interfaceName));
  if (settings === null) return `if tc qdisc show dev ${device} root | grep -q netem; then tc qdisc del dev ${device} root; fi`;
  return `tc qdisc replace dev ${device} root netem ${netemArguments(settings).join(' ')}`;
}

/**
 * Shell text that makes `chain` drop `lossPercent` % of incoming packets at random
 * (loopback excepted), creating and hooking the chain if needed.
 */
export function lossScript(chain: string, lossPercent: number): string {
  assertChain(chain);
  assertPositiveAtMost('lossPercent', lossPercent, 100);
  const probability = (lossPercent / 100).toFixed(6);
  return [
    'set -e',
    ensureChainScript(chain),
    `iptables -w -F ${chain}`,
    `iptables -w -A ${chain} ! -i lo -m statistic --mode random --probability ${probability} -j DROP`,
  ].join('\n');
}

/**
 * Shell text printing `netem` when the kernel can delay packets and `none` when it
 * cannot. It tries a zero delay on the node's loopback for an instant: the one
 * interface whose traffic never leaves the node.
 */
export function netemProbeScript(): string {
  return [
    'if out=$(tc qdisc add dev lo root netem delay 0ms 2>&1); then tc qdisc del dev lo root; echo netem;',
    `elif printf '%s' "$out" | grep -q '${UNKNOWN_QDISC_MESSAGE}'; then echo none;`,
    // Anything else (lo already has a root qdisc) says nothing against netem.
    'else echo netem; fi',
  ].join('\n');
}

/**
 * Shell text printing the interface that holds `address` on the node, or the default
 * route's interface when the address is not local or lives on loopback (Debian maps a
 * host's own name to 127.0.1.1).
 */
export function interfaceDetectionScript(address: string): string {
  return [
    `ip=$(getent ahostsv4 ${shellQuote(assertAddress(address))} 2>/dev/null | awk 'NR == 1 {print $1}')`,
    'dev=""',
    `if [ -n "$ip" ]; then dev=$(ip -o -4 addr show | awk -v a="$ip" '{split($4, p, "/"); if (p[1] == a) {print $2; exit}}'); fi`,
    `if [ -z "$dev" ] || [ "$dev" = lo ]; then dev=$(ip -o -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); fi`,
    'printf "%s\\n" "$dev"',
  ].join('\n');
}

function ensureChainScript(chain: string): string {
  return [
    `iptables -w -n -L ${chain} >/dev/null 2>&1 || iptables -w -N ${chain}`,
    `iptables -w -C INPUT -j ${chain} 2>/dev/null || iptables -w -I INPUT 1 -j ${chain}`,
  ].join('\n');
}

export class NetControl {
  private readonly chain: string;
  private readonly lossChain: string;
  private readonly interfaceName: string | undefined;
  private readonly commandTimeoutMs: number;
  /** Interfaces found per remote, so detection runs once per node. */
  private readonly interfaces = new WeakMap<Remote, Promise<string>>();

  constructor(options: NetControlOptions = {}) {
    this.chain = assertChain(options.chain ?? DROP_CHAIN_DEFAULT);
    this.lossChain = assertChain(`${this.chain}-LOSS`);
    this.interfaceName = options.interfaceName === undefined ? undefined : assertInterface(options.interfaceName);
    this.commandTimeoutMs = options.commandTimeoutMs ?? NET_COMMAND_TIMEOUT_MS_DEFAULT;
  }

  /** Makes the node drop (or reject) packets from exactly these addresses, replacing earlier cuts. */
  async drop(remote: Remote, sourceAddresses: readonly string[], action: CutAction = 'drop'): Promise<void> {
    await this.run(remote, dropScript(this.chain, sourceAddresses, action));
  }

  /** Removes the node's drops; does nothing where none were ever made. */
  async heal(remote: Remote): Promise<void> {
    await this.run(remote, healScript(this.chain));
  }

  /** Removes the partition chain and its jump from INPUT; does nothing where there is none. */
  async removeChain(remote: Remote): Promise<void> {
    await this.run(remote, removeChainScript(this.chain));
  }

  /** Drops `lossPercent` % of the node's incoming packets; null removes the loss (and its chain). */
  async setLoss(remote: Remote, lossPercent: number | null): Promise<void> {
    await this.run(remote, lossPercent === null ? removeChainScript(this.lossChain) : lossScript(this.lossChain, lossPercent));
  }

  /** Delays the node's outgoing packets; null removes our netem qdisc. */
  async setDelay(remote: Remote, settings: DelaySettings | null): Promise<void> {
    await this.run(remote, delayScript(await this.interfaceOf(remote), settings));
  }

  /** Whether the node's kernel has netem, which delay needs. */
  async supportsDelay(remote: Remote): Promise<boolean> {
    const { stdout } = await remote.exec(netemProbeScript(), { timeoutMs: this.commandTimeoutMs });
    return stdout.trim() === 'netem';
  }

  /** The interface delayed on this node. */
  interfaceOf(remote: Remote): Promise<string> {
    if (this.interfaceName !== undefined) return Promise.resolve(this.interfaceName);
    let found = this.interfaces.get(remote);
    if (!found) {
      found = this.detectInterface(remote);
      // A failed detection is tried again next time rather than remembered.
      found.catch(() => this.interfaces.delete(remote));
      this.interfaces.set(remote, found);
    }
    return found;
  }

  private async detectInterface(remote: Remote): Promise<string> {
    const script = interfaceDetectionScript(remote.address);
    const { stdout } = await remote.exec(script, { timeoutMs: this.commandTimeoutMs });
    // `ip` may print a veth as eth0@if8; the part before @ is the name tc wants.
    const name = stdout.trim().split('@')[0] ?? '';
    if (name === '' || !isInterfaceName(name)) {
      throw new RemoteError(
        'REMOTE_FAILED',
        remote.node,
        script,
        `cannot tell which interface carries ${remote.node}'s traffic (its address ${remote.address} is on no interface and there is no default route); set NetControl's interfaceName`,
      );
    }
    return name;
  }

  private async run(remote: Remote, script: string): Promise<void> {
    await remote.exec(script, { timeoutMs: this.commandTimeoutMs });
  }
}

function assertPositiveAtMost(name: string, value: number, max: number): void {
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new RangeError(`${name} must be more than 0 and at most ${max}, not ${value}`);
}

function assertRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], not ${value}`);
}

function assertChain(chain: string): string {
  // iptables limits chain names to 28 characters; ours go into command lines unquoted.
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,27}$/.test(chain)) throw new TypeError(`invalid iptables chain name ${JSON.stringify(chain)}`);
  return chain;
}

function isInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,15}$/.test(name);
}

function assertInterface(name: string): string {
  if (!isInterfaceName(name)) throw new TypeError(`invalid interface name ${JSON.stringify(name)}`);
  return name;
}

function assertAddress(address: string): string {
  // An IPv4 address or a host name: nothing a shell or iptables would read as an option.
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(address)) throw new TypeError(`invalid node address ${JSON.stringify(address)}`);
  return address;
}
