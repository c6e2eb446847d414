// Benchmark (issue "Embedded edge"): full TLS 1.3 handshakes/s, keep-alive requests/s (100 B) and
// 1 MiB throughput through tlsedge (events on: JSONL log) and through a minimal Node proxy
// (bench/peers/bare-node-proxy.mjs), same certificate, same origin (nginx), same run. For handshakes
// it also measures that proxy behind the accept path tlsedge's design prescribes and nothing else
// (`--peek`: read the ClientHello in JavaScript, then hand the socket to node:tls): the floor any
// implementation of this design starts from, so the report shows how much of the gap is tlsedge's own.
//
//   node --import tsx bench/edge-vs-node.ts        (BENCH_SECONDS=5 BENCH_ROUNDS=2 BENCH_WARM_SECONDS=3 by default)
//
// The server under test runs alone on core 0; load generators and the origin share core 1. Each
// figure is the rate the load generator saw and the server's CPU per operation (from /proc), so
// "per busy core" capacity = operations / server CPU seconds even when core 1 limits the rate.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { measureCpu } from './support/cpu.js';
import { benchRoot, tlsLoad, tlsLoadBinary, wrk } from './support/tools.js';
import { freePort, waitForPort } from '../test/support/processes.js';
import { stopChild } from './support/stop.js';
import { startOriginFixture } from './support/origin-fixture.js';
import { TLSEDGE_NODE_FLAGS } from '../cli/node-flags.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Unmeasured load of the same kind before each measurement (both servers alike). */
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const repo = join(benchRoot, '..');

interface Measured {
  rate: number;
  cpuPerOp: number;
  utilization: number;
  extra?: string;
}

type Metric = 'handshakes' | 'connections' | 'keepalive' | 'throughput';
/** The bare proxy; the same behind tlsedge's accept path alone (handshakes only); tlsedge. */
const KINDS = ['bare Node proxy', 'peek floor', 'tlsedge'] as const;
type Kind = (typeof KINDS)[number];

async function main(): Promise<void> {
  const compiled = join(repo, 'dist', 'cli', 'main.js');
  if (!existsSync(compiled)) throw new Error('dist/ is missing: run `npm run build` first (the benchmark measures the built CLI)');
  tlsLoadBinary();
  const { dir, certFile, keyFile, originPort, origin } = await startOriginFixture('bench.test', LOAD_CORE, 'tlsedge-bench-');
  const empty = (): Record<Metric, Measured[]> => ({ handshakes: [], connections: [], keepalive: [], throughput: [] });
  const results: Record<Kind, Record<Metric, Measured[]>> = { 'bare Node proxy': empty(), 'peek floor': empty(), tlsedge: empty() };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of KINDS) {
        process.stderr.write(`round ${round}/${ROUNDS}: ${kind} …\n`);
        const port = await freePort();
        const server = kind === 'tlsedge' ? startTlsedge(dir, port, certFile, keyFile, originPort) : startBare(port, certFile, keyFile, originPort, kind === 'peek floor');
        try {
          await waitForPort(port, '127.0.0.1', 15_000);
          const pid = server.pid!;
          const url = `https://127.0.0.1:${port}`;
          // Each workload is warmed before it is measured: the first seconds of a new code path run
          // unoptimised JavaScript (measured: ~35% more CPU per handshake for tlsedge's first 3 s,
          // ~20% for the bare proxy), which is start-up cost, not capacity.
          await tlsLoad(LOAD_CORE, { port, sni: 'bench.test', concurrency: 32, seconds: WARM_SECONDS });
          const hs = await measureCpu(pid, () => tlsLoad(LOAD_CORE, { port, sni: 'bench.test', concurrency: 32, seconds: SECONDS }));
          results[kind]!.handshakes.push({ rate: hs.result.rate, cpuPerOp: hs.cpu / hs.result.handshakes, utilization: hs.cpu / hs.result.seconds, extra: `client ${((hs.result.clientCpuSeconds / hs.result.handshakes) * 1e6).toFixed(0)} µs/handshake` });
          if (kind === 'peek floor') continue; // a reference for handshakes only
          await tlsLoad(LOAD_CORE, { port, sni: 'bench.test', concurrency: 32, seconds: WARM_SECONDS, request: '/100b' });
          const conns = await measureCpu(pid, () => tlsLoad(LOAD_CORE, { port, sni: 'bench.test', concurrency: 32, seconds: SECONDS, request: '/100b' }));
          results[kind]!.connections.push({ rate: conns.result.rate, cpuPerOp: conns.cpu / conns.result.handshakes, utilization: conns.cpu / conns.result.seconds });
          await wrk(LOAD_CORE, { url: `${url}/100b`, host: 'bench.test', connections: 32, seconds: WARM_SECONDS });
          const ka = await measureCpu(pid, () => wrk(LOAD_CORE, { url: `${url}/100b`, host: 'bench.test', connections: 32, seconds: SECONDS }));
          check(ka.result, kind);
          results[kind]!.keepalive.push({ rate: ka.result.rate, cpuPerOp: ka.cpu / ka.result.requests, utilization: ka.cpu / ka.result.seconds, extra: `p99 ${ka.result.latencyP99Ms.toFixed(1)} ms` });
          await wrk(LOAD_CORE, { url: `${url}/1m`, host: 'bench.test', connections: 8, seconds: WARM_SECONDS });
          const tp = await measureCpu(pid, () => wrk(LOAD_CORE, { url: `${url}/1m`, host: 'bench.test', connections: 8, seconds: SECONDS }));
          check(tp.result, kind);
          results[kind]!.throughput.push({ rate: tp.result.bytesPerSecond / 1e6, cpuPerOp: tp.cpu / ((tp.result.bytesPerSecond * tp.result.seconds) / 1e6), utilization: tp.cpu / tp.result.seconds });
        } finally {
          await stopChild(server);
        }
      }
    }
  } finally {
    await origin.stop();
  }
  report(results);
}

function check(r: { non2xx: number; errors: number; requests: number }, kind: string): void {
  if (r.requests === 0 || r.non2xx > 0 || r.errors > r.requests * 0.001) throw new Error(`${kind}: ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} socket errors`);
}

function startTlsedge(dir: string, port: number, cert: string, key: string, originPort: number): ChildProcess {
  const config = join(dir, `tlsedge-${port}.yaml`);
  writeFileSync(
    config,
    `listen: [{ address: 127.0.0.1:${port} }]\nadmin: { address: null }\nlog: { dir: ${dir}/events-${port} }\n` +
      `certificates: [{ names: [bench.test], cert: ${cert}, key: ${key} }]\n` +
      `origins: [{ match: { path_prefix: / }, to: "http://127.0.0.1:${originPort}" }]\n`,
  );
  return spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, ...TLSEDGE_NODE_FLAGS, join(repo, 'dist', 'cli', 'main.js'), 'up', '--config', config, '--state-dir', join(dir, `state-${port}`)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TLSEDGE_LOG_LEVEL: 'warn' } });
}

function startBare(port: number, cert: string, key: string, originPort: number, peek: boolean): ChildProcess {
  const args = [join(benchRoot, 'peers', 'bare-node-proxy.mjs'), String(port), cert, key, String(originPort), ...(peek ? ['--peek'] : [])];
  return spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function best(list: Measured[]): Measured {
  return list.reduce((a, b) => (b.rate > a.rate ? b : a));
}

function report(results: Record<Kind, Record<Metric, Measured[]>>): void {
  const rows: Array<[Metric, string, string, number]> = [
    ['handshakes', 'full TLS 1.3 handshakes/s (ECDSA P-256)', 'µs/handshake', 0.85],
    ['connections', 'new connections/s, 1 request each (context)', 'µs/connection', 0],
    ['keepalive', 'keep-alive requests/s (100 B)', 'µs/request', 1.5],
    ['throughput', '1 MiB responses, MB/s', 'ms/MB', 1.0],
  ];
  const bare = results['bare Node proxy'];
  const edge = results.tlsedge;
  const floor = results['peek floor'];
  const line = (cells: string[]) => process.stdout.write(cells.map((c, i) => (i === 0 ? c.padEnd(42) : c.padStart(14))).join(' ') + '\n');
  process.stdout.write(`\ntlsedge vs bare Node proxy — ${ROUNDS} round(s) of ${SECONDS} s, best round each, each after ${WARM_SECONDS} s of the same load; server on core ${SERVER_CORE}, load + origin on core ${LOAD_CORE}\n\n`);
  line(['metric', 'bare Node', 'tlsedge', 'ratio', 'CPU ratio', 'goal']);
  for (const [metric, label, unit, goal] of rows) {
    const b = best(bare[metric]);
    const e = best(edge[metric]);
    const scale = metric === 'throughput' ? 1e3 : 1e6;
    const cpuRatio = b.cpuPerOp / e.cpuPerOp; // >1: tlsedge spends less CPU per operation
    const verdict = goal === 0 ? '—' : `≥ ${goal}× ${Math.max(e.rate / b.rate, cpuRatio) >= goal ? 'met' : 'NOT met'}`;
    line([label, b.rate.toFixed(0), e.rate.toFixed(0), `${(e.rate / b.rate).toFixed(2)}×`, `${cpuRatio.toFixed(2)}×`, verdict]);
    line([`  server CPU (${unit})`, (b.cpuPerOp * scale).toFixed(1), (e.cpuPerOp * scale).toFixed(1), '', '', '']);
    line(['  server core busy', `${(b.utilization * 100).toFixed(0)}%`, `${(e.utilization * 100).toFixed(0)}%`, '', '', '']);
    if (b.extra || e.extra) line(['  notes', b.extra ?? '', e.extra ?? '', '', '', '']);
    if (metric === 'handshakes') {
      const f = best(floor.handshakes);
      line(['  design floor: bare + peek, no events', b.rate.toFixed(0), f.rate.toFixed(0), `${(f.rate / b.rate).toFixed(2)}×`, `${(b.cpuPerOp / f.cpuPerOp).toFixed(2)}×`, '']);
      line(['  floor server CPU (µs/handshake)', '', (f.cpuPerOp * 1e6).toFixed(1), '', '', '']);
    }
  }
  process.stdout.write('\nratio = tlsedge rate ÷ bare rate; CPU ratio = bare CPU per op ÷ tlsedge CPU per op (capacity per busy core).\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
