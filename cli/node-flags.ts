// The Node (V8) flags tlsedge's processes run with. bin/tlsedge's first line and the npm scripts
// carry the same list (they run before any of our code), the benchmarks start tlsedge with it, and
// test/unit/runtime/node-flags.test.ts keeps all of them in step.

/**
 * `--initial-old-space-size=64`: V8 may grow the old generation to 64 MB before its limit drives
 * full collections. Measured (docs/performance.md): proxying 1 MiB responses, the old generation sits
 * near 15 MB and V8's default limit leaves it so little room that, after ~6 s of load, it runs a
 * full mark-compact about 9 times a second, each freeing under 1 MB — a quarter of the process's CPU
 * (throughput 390–480 MB/s). With this flag: one full collection in 30 s, 570–650 MB/s. It reserves
 * nothing: memory is used only as the heap really grows.
 *
 * `--max-semi-space-size=2`: young-generation collections copy what is still alive, and pause the
 * event loop for that long. With 32 handshakes waiting for a TPM, Node's default (semi-spaces
 * growing to 16 MB) collected twice a second for 7–11 ms each; with 4 MB, 7–8 times a second for
 * ≤ 4.7 ms; with 2 MB, 15–18 times a second for ≤ 2.7 ms, which gave the lowest keep-alive p99 of the
 * other name (bench/offload-tpm.ts). Keep-alive requests and 1 MiB throughput measured the same
 * with and without it, handshakes within 2 % (the machine's noise). 1 MB, tried before, cost
 * keep-alive requests 15–30 %.
 */
export const TLSEDGE_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64', '--max-semi-space-size=2'];
