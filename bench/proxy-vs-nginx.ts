// Benchmark (issue 3, per-hostname policy and origin pools): keep-alive requests/s with 100-byte
// responses and 1 MiB response throughput, through tlsedge and through nginx as a TLS reverse proxy
// (Debian nginx, one worker, keep-alive upstream), same certificate, same origin (nginx serving
// files), measured in the same run; prints rates, server CPU per operation and the ratios.
//
//   node --import tsx bench/proxy-vs-nginx.ts        (BENCH_SECONDS=5 BENCH_ROUNDS=2 by default)
//
// The server under test runs alone on core 0; wrk and the origin share core 1. tlsedge runs from
// source through tsx (the loader only compiles at startup), with events on (JSONL log), its default
// `sni` policy (ALPN h2, http/1.1: wrk speaks HTTP/1.1) and a default `sni`-matched origin pool.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureCpu } from './support/cpu.js';
import { startNginx, type Nginx } from './support/nginx.js';
import { benchRoot, wrk, type WrkResult } from './support/tools.js';
import { freePort, waitForPort } from '../test/support/processes.js';
import { stopChild } from './support/stop.js';
import { startOriginFixture } from './support/origin-fixture.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const repo = join(benchRoot, '..');
const NAME = 'bench.test';

interface Measured {
  rate: number;
  cpuPerOp: number;
  utilization: number;
  p99Ms: number;
}

type Metric = 'keepalive' | 'throughput';
type Peer = 'nginx' | 'tlsedge';

async function main(): Promise<void> {
  const { dir, certFile, keyFile, originPort, origin } = await startOriginFixture(NAME, LOAD_CORE, 'tlsedge-bench-proxy-');
  const results: Record<Peer, Record<Metric, Measured[]>> = { nginx: { keepalive: [], throughput: [] }, tlsedge: { keepalive: [], throughput: [] } };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const peer of ['nginx', 'tlsedge'] as const) {
        process.stderr.write(`round ${round}/${ROUNDS}: ${peer} …\n`);
        const port = await freePort();
        const server = peer === 'tlsedge' ? await startTlsedge(dir, port, certFile, keyFile, originPort) : await startNginxProxy(port, certFile, keyFile, originPort);
        try {
          const url = `https://127.0.0.1:${port}`;
          await wrk(LOAD_CORE, { url: `${url}/100b`, host: NAME, connections: 16, seconds: 2 }); // warm up (JIT, pools)
          const ka = await measureCpu(server.pid, () => wrk(LOAD_CORE, { url: `${url}/100b`, host: NAME, connections: 32, seconds: SECONDS }));
          check(ka.result, peer);
          results[peer].keepalive.push(measured(ka.result, ka.cpu, ka.result.requests));
          const tp = await measureCpu(server.pid, () => wrk(LOAD_CORE, { url: `${url}/1m`, host: NAME, connections: 8, seconds: SECONDS }));
          check(tp.result, peer);
          const mb = (tp.result.bytesPerSecond * tp.result.seconds) / 1e6;
          results[peer].throughput.push({ ...measured(tp.result, tp.cpu, mb), rate: tp.result.bytesPerSecond / 1e6 });
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await origin.stop();
  }
  report(results);
}

function measured(r: WrkResult, cpu: number, ops: number): Measured {
  return { rate: r.rate, cpuPerOp: cpu / ops, utilization: cpu / r.seconds, p99Ms: r.latencyP99Ms };
}

function check(r: WrkResult, peer: string): void {
  if (r.requests === 0 || r.non2xx > 0 || r.errors > r.requests * 0.001) throw new Error(`${peer}: ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} socket errors`);
}

interface Server {
  pid: number;
  stop(): Promise<void>;
}

async function startTlsedge(dir: string, port: number, cert: string, key: string, originPort: number): Promise<Server> {
  const config = join(dir, `tlsedge-${port}.yaml`);
  writeFileSync(
    config,
    `listen: [{ address: 127.0.0.1:${port} }]\nadmin: { address: null }\nlog: { dir: ${dir}/events-${port} }\n` +
      `certificates: [{ names: [${NAME}], cert: ${cert}, key: ${key} }]\n` +
      `origins: [{ match: { path_prefix: / }, to: "http://127.0.0.1:${originPort}" }]\n`,
  );
  const child: ChildProcess = spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, '--import', 'tsx', join(repo, 'cli', 'main.ts'), 'up', '--config', config, '--state-dir', join(dir, `state-${port}`)], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TLSEDGE_LOG_LEVEL: 'warn' },
  });
  await waitForPort(port, '127.0.0.1', 30_000);
  return {
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** nginx as the TLS-terminating reverse proxy: one worker, TLS 1.3, keep-alive to the origin, no disk buffering. */
async function startNginxProxy(port: number, cert: string, key: string, originPort: number): Promise<Server> {
  const nginx: Nginx = await startNginx(
    SERVER_CORE,
    `upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${NAME};
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffers 16 64k;
      proxy_max_temp_file_size 0;
    }
  }`,
    [port],
  );
  return { pid: nginx.pid, stop: () => nginx.stop() };
}

function best(list: Measured[]): Measured {
  return list.reduce((a, b) => (b.rate > a.rate ? b : a));
}

function report(results: Record<Peer, Record<Metric, Measured[]>>): void {
  const rows: Array<[Metric, string, string, number]> = [
    ['keepalive', 'keep-alive requests/s (100 B, 32 conns)', 'µs/request', 1e6],
    ['throughput', '1 MiB responses, MB/s (8 conns)', 'ms/MB', 1e3],
  ];
  const line = (cells: string[]) => process.stdout.write(cells.map((c, i) => (i === 0 ? c.padEnd(42) : c.padStart(14))).join(' ') + '\n');
  process.stdout.write(`\ntlsedge vs nginx (TLS reverse proxy, 1 worker) — ${ROUNDS} round(s) of ${SECONDS} s, best round each; server on core ${SERVER_CORE}, wrk + origin on core ${LOAD_CORE}\n\n`);
  line(['metric', 'nginx', 'tlsedge', 'ratio', 'CPU ratio']);
  for (const [metric, label, unit, scale] of rows) {
    const n = best(results.nginx[metric]);
    const t = best(results.tlsedge[metric]);
    line([label, n.rate.toFixed(0), t.rate.toFixed(0), `${(t.rate / n.rate).toFixed(2)}×`, `${(n.cpuPerOp / t.cpuPerOp).toFixed(2)}×`]);
    line([`  server CPU (${unit})`, (n.cpuPerOp * scale).toFixed(1), (t.cpuPerOp * scale).toFixed(1), '', '']);
    line(['  server core busy', `${(n.utilization * 100).toFixed(0)}%`, `${(t.utilization * 100).toFixed(0)}%`, '', '']);
    line(['  p99 latency (ms)', n.p99Ms.toFixed(1), t.p99Ms.toFixed(1), '', '']);
  }
  process.stdout.write('\nratio = tlsedge rate ÷ nginx rate; CPU ratio = nginx CPU per op ÷ tlsedge CPU per op (>1: tlsedge cheaper). No target yet.\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
