// Piscina pools for blocking signer work (PKCS#11 calls, software signatures in `piscina` mode).
// Threads are fixed (min = max) and never idle out: a PKCS#11 worker holds a logged-in session.
import { Piscina } from 'piscina';

// Under tsx (tests, dev) the sources are .ts; from dist/ they are .js.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export type PoolKind = 'pkcs11' | 'software';

export function workerUrl(kind: PoolKind): string {
  return new URL(`./${kind}/worker${ext}`, import.meta.url).href;
}

export function createPool(kind: PoolKind, threads: number, workerData: unknown): Piscina {
  return new Piscina({
    filename: workerUrl(kind),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    // The Scheduler admits at most `threads` signatures; the headroom is for list/health tasks.
    maxQueue: threads * 4,
    workerData,
  });
}
