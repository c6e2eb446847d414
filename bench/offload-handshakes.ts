// Full TLS 1.3 handshakes per second: the offload engine against node:tls (OpenSSL), same keys,
// same machine, same run, for ECDSA P-256 and RSA-2048. Prints handshakes/s, server CPU per
// handshake, and offload/native ratios.
//
//   npx tsx bench/offload-handshakes.ts   (BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONCURRENCY=16)
//
// Load: bench/tools/tls-load.c (wolfSSL, built on first use; needs gcc and libwolfssl-dev): full
// handshakes, no session reuse, no certificate checks — about half the CPU of an OpenSSL 3 client
// per handshake, so the load generator is cheaper than either server.
// Placement (2 cores): each server runs in its own process whose event-loop thread is pinned to
// core 0 and whose other threads (libuv's pool, V8's helpers) to core 1, next to tls-load. node:tls
// signs on its event loop; the offload engine signs RSA on libuv's pool — the second core — and
// ECDSA inline (a pool round trip costs as much as a P-256 signature). Server CPU is read from
// /proc for all the server's threads, so signing off the loop still counts.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
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
  console.log(`full TLS 1.3 handshakes (X25519), wolfSSL tls-load ×${CONCURRENCY} on core ${HELPER_CORE}; server event loop on core ${LOOP_CORE}, its other threads on core ${HELPER_CORE}; ${ROUNDS} round(s) × ${SECONDS}s, engines interleaved`);
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
    const port = await readyPort(server);
    await pinThreads(server.pid!);
    await tlsLoad(HELPER_CORE, { port, sni: 'example.test', concurrency: CONCURRENCY, seconds: 1 }); // warm up (JIT, pools)
    await pinThreads(server.pid!); // again: libuv's pool threads start on first use, on the loop's core
    const { result, cpu } = await measureCpu(server.pid!, () => tlsLoad(HELPER_CORE, { port, sni: 'example.test', concurrency: CONCURRENCY, seconds: SECONDS }));
    return { rate: result.rate, handshakes: result.handshakes, failures: result.failures, serverCpu: cpu, clientCpu: result.clientCpuSeconds };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

function readyPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready: ${out}`)));
  });
}

/** Event loop (the main thread, tid = pid) on LOOP_CORE, every other thread of the server on HELPER_CORE. */
async function pinThreads(pid: number): Promise<void> {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    await run('taskset', ['-p', '-c', String(Number(tid) === pid ? LOOP_CORE : HELPER_CORE), tid]);
  }
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
  process.stdout.write(`ready ${port}\n`);
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
