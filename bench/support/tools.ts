// Load generators for the benchmarks: wrk (HTTP keep-alive and throughput) and tls-load (full
// TLS handshakes, built from bench/tools/tls-load.c on first use). Each runs pinned to a core.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { realtimeCommand } from './priority.js';

const run = promisify(execFile);
export const benchRoot = fileURLToPath(new URL('..', import.meta.url));
const buildDir = join(benchRoot, '.build');

export function requireTool(tool: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is missing: sudo apt-get install -y ${pkg}`);
  }
}

/** Compiles tls-load (wolfSSL) when its binary is missing or older than its source. */
export function tlsLoadBinary(): string {
  const source = join(benchRoot, 'tools', 'tls-load.c');
  const binary = join(buildDir, 'tls-load');
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(source).mtimeMs) return binary;
  mkdirSync(buildDir, { recursive: true });
  try {
    execFileSync('gcc', ['-O2', '-o', binary, source, '-lwolfssl'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`cannot build bench/tools/tls-load.c (needs gcc and wolfSSL: sudo apt-get install -y gcc libwolfssl-dev): ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  return binary;
}

export interface HandshakeLoad {
  handshakes: number;
  failures: number;
  seconds: number;
  rate: number;
  clientCpuSeconds: number;
}

/** Full handshakes; with `request`, one `Connection: close` request per connection (new-connection load). */
export async function tlsLoad(core: number, args: { port: number; sni: string; concurrency: number; seconds: number; tls?: '1.2' | '1.3'; request?: string }): Promise<HandshakeLoad> {
  const extra = args.request ? ['--request', args.request] : [];
  const { stdout } = await run('taskset', ['-c', String(core), tlsLoadBinary(), '--port', String(args.port), '--sni', args.sni, '--concurrency', String(args.concurrency), '--seconds', String(args.seconds), '--tls', args.tls ?? '1.3', ...extra]);
  return JSON.parse(stdout) as HandshakeLoad;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rate: number;
  bytesPerSecond: number;
  non2xx: number;
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** wrk over keep-alive connections; `url` is https://127.0.0.1:PORT/path. */
export async function wrk(core: number, args: { url: string; host: string; connections: number; seconds: number }): Promise<WrkResult> {
  requireTool('wrk', 'wrk');
  const { stdout } = await run('taskset', ['-c', String(core), 'wrk', '-t1', `-c${args.connections}`, `-d${args.seconds}s`, '--latency', '-H', `Host: ${args.host}`, args.url], { maxBuffer: 1 << 20 });
  const num = (re: RegExp) => Number(stdout.match(re)?.[1] ?? 0);
  const scaled = (re: RegExp) => {
    const m = stdout.match(re);
    if (!m) return 0;
    const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as 'B'] ?? 1;
    return Number(m[1]) * unit;
  };
  const ms = (re: RegExp) => {
    const m = stdout.match(re);
    if (!m) return 0;
    const factor = { us: 0.001, ms: 1, s: 1000 }[m[2] as 'ms'] ?? 1;
    return Number(m[1]) * factor;
  };
  const requests = num(/(\d+) requests in/);
  const seconds = num(/requests in ([\d.]+)s/);
  return {
    requests,
    seconds,
    rate: requests / seconds,
    bytesPerSecond: scaled(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: (stdout.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) ?? []).slice(1).reduce((a, b) => a + Number(b), 0),
    latencyP50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    latencyP99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
  };
}

export interface PacedLatency {
  requests: number;
  /** Requests per second actually completed. */
  rate: number;
  latencyP50Ms: number;
  latencyP90Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  failures: number;
}

/**
 * Keep-alive requests at a fixed rate (open loop: latency counted from each request's scheduled
 * time, so a stalled server is charged for the requests it delayed). Unlike wrk, which keeps the
 * server saturated and so measures queueing, this measures how responsive the server stays.
 */
export async function pacedLatency(core: number, args: { port: number; sni: string; path: string; connections: number; rate: number; seconds: number; realtime?: boolean }): Promise<PacedLatency> {
  const command = ['taskset', '-c', String(core), tlsLoadBinary(), '--port', String(args.port), '--sni', args.sni, '--concurrency', String(args.connections), '--seconds', String(args.seconds), '--request', args.path, '--rate', String(args.rate)];
  const [file, ...rest] = args.realtime ? realtimeCommand(command) : command;
  const { stdout } = await run(file!, rest);
  const r = JSON.parse(stdout) as { requests: number; measured: number; failures: number; seconds: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
  return { requests: r.requests, rate: r.requests / r.seconds, latencyP50Ms: r.p50Ms, latencyP90Ms: r.p90Ms, latencyP99Ms: r.p99Ms, latencyMaxMs: r.maxMs, failures: r.failures };
}
