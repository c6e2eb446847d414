// Keeps the event loop ahead of the process's own helper threads when they share a busy core.
//
// Everything latency-sensitive in tlsedge runs on the main thread. The other threads of the process
// do work that can wait a little: V8's platform workers (optimising compiles, concurrent marking and
// sweeping, scavenge helpers), libuv's pool (event-log writes, async crypto) and worker pools (the
// PKCS#11 workers lower themselves already, adapters/signer/pkcs11/worker.ts). At equal priority the
// kernel lets a waking compile or marking job preempt the loop for a time slice: measured during
// bench/offload-tpm.ts, the loop thread waited 60–100 ms per second in the run queue, ~80 times
// (docs/performance.md). A lower priority only matters while a core is contended; idle cores still
// run the helpers at once.
//
// Linux only: there the nice value is per thread (setpriority(2), NOTES) and /proc/self/task lists
// the threads. Threads started later (libuv grows its pool on demand, pools add workers) inherit the
// main thread's priority, so the sweep repeats on a slow timer.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Nice value given to every thread of the process but the main one (0 normal … 19 lowest). At 10 a
 * waking helper still took the core from a busy loop for up to a scheduler tick (4 ms here) inside
 * handshake steps; in paired rounds of bench/offload-tpm.ts, 19 gave a lower loaded p99 in 9 of 10
 * rounds, by a median 0.6–1 ms (docs/performance.md).
 */
export const HELPER_THREAD_NICE = 19;
/**
 * Overrides HELPER_THREAD_NICE; 0 turns the sweep off. A reason to: on a machine shared with other
 * busy processes, helpers the loop waits for (GC helpers mid-collection, RSA signing on libuv's
 * pool) lose the core to those processes too, not only to this event loop.
 */
export const HELPER_NICE_ENV = 'TLSEDGE_HELPER_THREAD_NICE';
const RESWEEP_MS = 5_000;

export interface EventLoopFirst {
  /** Threads lowered so far. */
  readonly lowered: number;
  stop(): void;
}

/** The nice value to use: HELPER_NICE_ENV if set (0–19), else HELPER_THREAD_NICE. */
export function helperNiceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[HELPER_NICE_ENV];
  if (raw === undefined || raw === '') return HELPER_THREAD_NICE;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 19) throw new RangeError(`${HELPER_NICE_ENV}=${raw}: expected a whole number from 0 (off) to 19`);
  return value;
}

/** Lowers the helper threads now and every few seconds; `stop()` ends the sweeps (priorities stay). */
export function keepEventLoopFirst(nice = helperNiceFromEnv()): EventLoopFirst {
  if (process.platform !== 'linux' || nice === 0) return { lowered: 0, stop() {} };
  let lowered = lowerHelperThreads(nice);
  const timer = setInterval(() => (lowered += lowerHelperThreads(nice)), RESWEEP_MS);
  timer.unref();
  return {
    get lowered() {
      return lowered;
    },
    stop: () => clearInterval(timer),
  };
}

/** One sweep: every thread other than the main one gets at least `nice`. Returns how many changed. */
export function lowerHelperThreads(nice = HELPER_THREAD_NICE): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0; // no procfs: nothing to do
  }
  const main = process.pid; // the main thread's id is the process id
  let changed = 0;
  for (const entry of tids) {
    const tid = Number(entry);
    if (tid === main) continue;
    try {
      if (getPriority(tid) >= nice) continue;
      setPriority(tid, nice);
      changed++;
    } catch {
      // the thread ended meanwhile, or lowering is not permitted: leave it
    }
  }
  return changed;
}
