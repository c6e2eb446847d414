// CPU time of a process (all its threads) from /proc: the honest measure of what one operation
// costs a server, independent of how busy the load generator keeps it.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds the process (or, with `tid`, one of its threads) has used so far. */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Runs `work` and returns its result with the CPU seconds `pid` spent meanwhile: `cpu` for all its
 * threads, `mainThread` for its first (a Node process's event loop).
 */
export async function measureCpu<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpu: number; mainThread: number }> {
  const before = cpuSeconds(pid);
  const mainBefore = cpuSeconds(pid, pid);
  const result = await work();
  return { result, cpu: cpuSeconds(pid) - before, mainThread: cpuSeconds(pid, pid) - mainBefore };
}

/** The jiffy counters of one core from /proc/stat (user nice system idle iowait irq softirq steal …). */
function coreTimes(core: number): number[] {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  return line ? line.trim().split(/\s+/).slice(1).map(Number) : [];
}

/**
 * Runs `work` and returns the share of `core`'s time the hypervisor took for other guests (steal).
 * On a shared VM a round with much steal measures the neighbours, not the server: the benches
 * print it next to latency percentiles.
 */
export async function measureSteal<T>(core: number, work: () => Promise<T>): Promise<{ result: T; steal: number }> {
  const before = coreTimes(core);
  const result = await work();
  const after = coreTimes(core);
  const delta = after.map((v, i) => v - (before[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  return { result, steal: total > 0 ? (delta[7] ?? 0) / total : 0 };
}
