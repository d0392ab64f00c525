/**
 * CPU time and resident memory of a process, sampled at the start and end of a
 * benchmark cell. Another process is read from Linux's /proc/<pid>/stat (utime + stime,
 * in clock ticks) and /proc/<pid>/status (VmRSS); this process uses process.cpuUsage()
 * and process.memoryUsage.rss(). CPU % is CPU time over wall time, so a process using
 * more than one thread (GC, libuv pool) can exceed 100 %.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat; from `getconf CLK_TCK`, else assumed 100. */
export function clockTicksPerSecond(): { ticks: number; assumed: boolean } {
  try {
    const ticks = Number.parseInt(execSync('getconf CLK_TCK', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(), 10);
    if (Number.isFinite(ticks) && ticks > 0) return { ticks, assumed: false };
  } catch {
    // Fall through to the usual Linux value.
  }
  return { ticks: 100, assumed: true };
}

export interface UsageSample {
  wallNs: bigint;
  /** User + system CPU time so far, in seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

/** Reads CPU time and RSS of another process from /proc (Linux only). */
export function sampleOtherProcess(pid: number, ticksPerSecond: number): UsageSample {
  const wallNs = process.hrtime.bigint();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may hold spaces; fields after it start at "state".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return { wallNs, cpuSeconds: (utime + stime) / ticksPerSecond, rssBytes: rssKb * 1024 };
}

/** CPU time and RSS of this process. */
export function sampleThisProcess(): UsageSample {
  const wallNs = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return { wallNs, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage.rss() };
}

export interface UsageDelta {
  /** CPU time over wall time between the samples, in percent of one core. */
  cpuPercent: number;
  cpuSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}

export function usageDelta(before: UsageSample, after: UsageSample): UsageDelta {
  const wallSeconds = Number(after.wallNs - before.wallNs) / 1e9;
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    cpuPercent: wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : Number.NaN,
    cpuSeconds,
    rssBeforeMb: before.rssBytes / (1024 * 1024),
    rssAfterMb: after.rssBytes / (1024 * 1024),
  };
}

/**
 * CPU time all processes of the machine have used so far (busy = every state but idle
 * and iowait, summed over cores), from /proc/stat. Subtracting the region and the bench
 * process leaves what everything else on the machine took during a cell: the noise.
 */
export function sampleMachine(ticksPerSecond: number): UsageSample {
  const wallNs = process.hrtime.bigint();
  const { ticks } = machineCpuTicks();
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { wallNs, cpuSeconds: (total - idle) / ticksPerSecond, rssBytes: Number.NaN };
}

/**
 * /proc/stat's first line (the machine's CPU time in each state, in clock ticks summed
 * over CPUs, in the kernel's order: user nice system idle iowait irq softirq steal guest
 * guest_nice) and the number of CPUs (its `cpuN` lines).
 */
function machineCpuTicks(): { ticks: number[]; cpus: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const ticks = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { ticks, cpus: Math.max(1, lines.filter((line) => /^cpu\d+ /.test(line)).length) };
}

export interface StealSample {
  wallNs: bigint;
  /** Steal so far, summed over the machine's CPUs, in seconds. */
  stealSeconds: number;
  cpus: number;
}

/**
 * CPU time the hypervisor gave to other guests while this machine's CPUs wanted to run
 * (`steal` in /proc/stat, summed over CPUs), and the number of CPUs. On a shared virtual
 * machine it comes in spells of seconds that halve every process's speed at once: a
 * round measured in one is slower for no fault of the system in it.
 */
export function sampleSteal(ticksPerSecond: number): StealSample {
  const wallNs = process.hrtime.bigint();
  const { ticks, cpus } = machineCpuTicks();
  return { wallNs, stealSeconds: (ticks[7] ?? 0) / ticksPerSecond, cpus };
}

/**
 * Percent of the machine's CPU time taken by steal between two samples; NaN without both.
 * The kernel counts steal in clock ticks (10 ms), so over a quarter-second round on two
 * CPUs one tick is two points, and a tick may land in the neighbouring round.
 */
export function stealPercent(before: StealSample | undefined, after: StealSample | undefined): number {
  if (before === undefined || after === undefined) return Number.NaN;
  const wallSeconds = Number(after.wallNs - before.wallNs) / 1e9;
  return wallSeconds > 0 ? (100 * (after.stealSeconds - before.stealSeconds)) / (wallSeconds * after.cpus) : Number.NaN;
}
