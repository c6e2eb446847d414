// Full TLS 1.3 handshakes per second: the offload engine against node:tls (OpenSSL), same keys,
// same machine, same run, for ECDSA P-256 and RSA-2048. Prints handshakes/s, server CPU per
// handshake, and offload/native ratios.
//
//   npx tsx bench/offload-handshakes.ts   (BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONCURRENCY=16)
//
// Load: bench/tools/tls-load.c (wolfSSL, built on first use; needs gcc and libwolfssl-dev): full
// handshakes, no session reuse, no certificate checks — about half the CPU of an OpenSSL 3 client
// per handshake, so the load generator is cheaper than either server.
// Placement (2 cores): each server runs in its own process pinned to core 0 — except libuv's
// thread pool, which goes to core 1 next to tls-load. node:tls signs on its event loop; the offload
// engine signs RSA on libuv's pool — the second core — and ECDSA inline (a pool round trip costs as
// much as a P-256 signature). V8's GC helpers stay with the event loop: on a busy core they would
// make the loop wait for them. Server CPU is read from /proc for all the server's threads, so
// signing off the loop still counts. BENCH_PIN=none leaves the servers' threads to the scheduler.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, pbkdf2, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NodeCryptoProvider } from '../adapters/tls/crypto/node-provider.js';
import { describeKey, softwareSigner } from '../adapters/tls/crypto/software-signer.js';
import { TicketKeyRing } from '../adapters/tls/crypto/ticket-keys.js';
import { serverPolicy } from '../adapters/tls/engine/server/policy.js';
import { OffloadServer } from '../adapters/tls/offload/server.js';
import { measureCpu } from './support/cpu.js';
import { tlsLoad, tlsLoadBinary } from './support/tools.js';
import { tempDir } from '../test/support/processes.js';
import { stopChild } from './support/stop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LOOP_CORE = 0;
const HELPER_CORE = 1;
const run = promisify(execFile);

type Engine = 'native' | 'offload';
interface Sample {
  rate: number;
  handshakes: number;
  failures: number;
  serverCpu: number;
  clientCpu: number;
}

async function main(): Promise<void> {
  tlsLoadBinary();
  const dir = tempDir('tlsedge-bench-hs-');
  const keys = [material(dir, 'ecdsa-p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']), material(dir, 'rsa-2048', ['-newkey', 'rsa:2048'])];
  console.log(`full TLS 1.3 handshakes (X25519), wolfSSL tls-load ×${CONCURRENCY} on core ${HELPER_CORE}; servers on core ${LOOP_CORE}, their libuv pool on core ${HELPER_CORE}; ${ROUNDS} round(s) × ${SECONDS}s, engines interleaved`);
  for (const key of keys) {
    const samples: Record<Engine, Sample[]> = { native: [], offload: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved so that drift on a shared machine hits both engines alike.
      for (const engine of ['native', 'offload'] as Engine[]) samples[engine].push(await measure(engine, key, dir));
    }
    console.log(`\n${key}`);
    for (const engine of ['native', 'offload'] as Engine[]) console.log(row(engine === 'native' ? 'native (node:tls)' : 'offload (tlsedge engine)', samples[engine]));
    const n = median(samples.native.map((s) => s.rate));
    const o = median(samples.offload.map((s) => s.rate));
    const cpu = (e: Engine) => median(samples[e].map((s) => s.serverCpu / s.handshakes));
    const goal = key.startsWith('ecdsa') ? 0.5 : 1.0;
    console.log(`ratio offload/native: handshakes/s ×${(o / n).toFixed(2)} (goal ≥ ${goal}: ${o / n >= goal ? 'met' : 'NOT met'}), server CPU per handshake ×${(cpu('offload') / cpu('native')).toFixed(2)}`);
  }
}

function material(dir: string, name: string, newKey: string[]): string {
  execFileSync('openssl', ['req', '-x509', ...newKey, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '30', '-subj', '/CN=example.test', '-addext', 'subjectAltName=DNS:example.test'], { stdio: 'ignore' });
  return name;
}

async function measure(engine: Engine, key: string, dir: string): Promise<Sample> {
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', engine, join(dir, key)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const { port, pool } = await readyPort(server);
    if (process.env.BENCH_PIN !== 'none') await pinThreads(server.pid!, pool);
    await tlsLoad(HELPER_CORE, { port, sni: 'example.test', concurrency: CONCURRENCY, seconds: 3 }); // warm up (JIT)
    const { result, cpu } = await measureCpu(server.pid!, () => tlsLoad(HELPER_CORE, { port, sni: 'example.test', concurrency: CONCURRENCY, seconds: SECONDS }));
    return { rate: result.rate, handshakes: result.handshakes, failures: result.failures, serverCpu: cpu, clientCpu: result.clientCpuSeconds };
  } finally {
    await stopChild(server);
  }
}

function readyPort(server: ChildProcess): Promise<{ port: number; pool: number[] }> {
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+) pool=([\d,]*)/.exec(out);
      if (m) resolve({ port: Number(m[1]), pool: m[2]!.split(',').filter(Boolean).map(Number) });
    });
    server.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready: ${out}`)));
  });
}

/** Every thread of the server on LOOP_CORE, then libuv's pool threads on HELPER_CORE. */
async function pinThreads(pid: number, pool: number[]): Promise<void> {
  await run('taskset', ['-a', '-p', '-c', String(LOOP_CORE), String(pid)]);
  for (const tid of pool) await run('taskset', ['-p', '-c', String(HELPER_CORE), String(tid)]);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function row(label: string, samples: Sample[]): string {
  const rate = median(samples.map((s) => s.rate));
  const cpu = median(samples.map((s) => s.serverCpu / s.handshakes));
  const client = median(samples.map((s) => s.clientCpu / s.handshakes));
  const failures = samples.reduce((a, s) => a + s.failures, 0);
  return [
    label.padEnd(26),
    `${rate.toFixed(0).padStart(6)} hs/s`,
    `(rounds: ${samples.map((s) => s.rate.toFixed(0)).join(', ')})`.padEnd(28),
    `server ${(cpu * 1e6).toFixed(0).padStart(5)} µs/hs`,
    `client ${(client * 1e6).toFixed(0).padStart(5)} µs/hs`,
    failures ? `failures ${failures}` : '',
  ].join('  ');
}

/** The server process: one engine, one key, answering full handshakes on a loopback port. */
async function serve(engine: Engine, base: string): Promise<void> {
  // tsx turns source maps on; the product runs compiled JS without them, where an Error (a write to
  // a socket the client already reset) does not cost a source-mapped stack trace.
  process.setSourceMapsEnabled(false);
  const certPem = readFileSync(`${base}.pem`, 'utf8');
  const keyPem = readFileSync(`${base}.key`, 'utf8');
  let port: number;
  if (engine === 'native') {
    const server = createTlsServer({ cert: certPem, key: keyPem, minVersion: 'TLSv1.3' }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('error', () => undefined);
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  } else {
    const key = createPrivateKey(keyPem);
    const policy = serverPolicy({
      id: 'bench',
      certificates: [{ chain: [new Uint8Array(new X509Certificate(certPem).raw)], key: describeKey('bench', key) }],
      // node:tls (OpenSSL) sends two TLS 1.3 tickets by default; so does this side.
      tickets: { mode: 'stateless', lifetimeSeconds: 7200, count: 2, maxEarlyData: 0 },
    });
    const server = new OffloadServer({
      engine: { provider: new NodeCryptoProvider(), policy, tickets: new TicketKeyRing(new Uint8Array(randomBytes(48))) },
      signer: softwareSigner(new Map([['bench', key]])),
    });
    server.on('secureConnection', (s) => s.on('data', (d: Buffer) => s.write(d)));
    server.on('tlsClientError', () => undefined);
    port = await server.listen(0);
  }
  // A clean exit on SIGTERM, so `node --cpu-prof` writes its profile.
  process.on('SIGTERM', () => process.exit(0));
  // libuv's pool threads are the ones that work while the pool runs a burst of jobs (threads have
  // no names, and the pool may already exist: tsx reads files through it).
  const cpuOf = (tid: string) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const before = new Map(readdirSync('/proc/self/task').map((t) => [t, cpuOf(t)]));
  await Promise.all(Array.from({ length: 32 }, () => new Promise((r) => pbkdf2('x', 'y', 60_000, 32, 'sha256', r))));
  const pool = readdirSync('/proc/self/task').filter((t) => t !== String(process.pid) && cpuOf(t) - (before.get(t) ?? 0) >= 2);
  process.stdout.write(`ready ${port} pool=${pool.join(',')}\n`);
}

if (process.argv[2] === 'serve') {
  void serve(process.argv[3] as Engine, process.argv[4]!);
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
