// Full TLS 1.3 handshakes per second: the offload engine against node:tls (OpenSSL), same keys,
// same machine, same run. Prints handshakes/s, CPU per handshake on each side, event-loop delay,
// and offload/native ratios for ECDSA P-256 and RSA-2048.
//
//   npx tsx bench/offload-handshakes.ts   (BENCH_SECONDS=5 BENCH_CLIENTS=2 BENCH_ROUNDS=2 BENCH_LOAD=openssl|wolfssl)
//
// Load generators, both reporting their own CPU time so the table shows client vs server cost:
// - `openssl` (default): bench/tools/handshake-client.c (libssl; BENCH_CLIENTS processes, each doing
//   sequential full handshakes with a 1-byte echo, so the server always completes the handshake).
//   OpenSSL 3.0 clients cost ~0.85–1.2 ms per handshake here, close to node:tls's server cost, so
//   the machine must have a core to spare for them.
// - `wolfssl`: the shared bench/tools/tls-load.c (wolfSSL, ~0.55 ms per handshake, pinned to the
//   last core), cheaper than either server; used when libwolfssl-dev is installed.
// The offload engine signs through
// node:crypto's async sign (libuv thread pool), so RSA signatures do not block its event loop;
// node:tls signs inline. Server CPU is process.cpuUsage() of this process (all threads, including
// the thread pool), so offloaded signing is still counted.
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { NodeCryptoProvider } from '../adapters/tls/crypto/node-provider.js';
import { tlsLoad } from './support/tools.js';
import { describeKey, softwareSigner } from '../adapters/tls/crypto/software-signer.js';
import { TicketKeyRing } from '../adapters/tls/crypto/ticket-keys.js';
import { serverPolicy } from '../adapters/tls/engine/server/policy.js';
import { OffloadServer } from '../adapters/tls/offload/server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LOAD = (process.env.BENCH_LOAD ?? 'openssl') as 'openssl' | 'wolfssl';

interface Material {
  name: string;
  certPem: string;
  keyPem: string;
  certDer: Uint8Array;
  key: KeyObject;
}

interface Result {
  handshakes: number;
  failed: number;
  wallS: number;
  serverCpuUs: number;
  clientCpuUs: number;
  loopDelayP99Ms: number;
}

const dir = mkdtempSync(join(tmpdir(), 'tlsedge-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function material(name: string, newKey: string[]): Material {
  execFileSync('openssl', ['req', '-x509', ...newKey, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', '/CN=example.test', '-addext', 'subjectAltName=DNS:example.test'], { cwd: dir, stdio: 'ignore' });
  const certPem = readFileSync(join(dir, `${name}.pem`), 'utf8');
  const keyPem = readFileSync(join(dir, `${name}.key`), 'utf8');
  return { name, certPem, keyPem, certDer: new Uint8Array(new X509Certificate(certPem).raw), key: createPrivateKey(keyPem) };
}

function buildClient(): string {
  const source = fileURLToPath(new URL('./tools/handshake-client.c', import.meta.url));
  const binary = join(dir, 'handshake-client');
  execFileSync('gcc', ['-O2', '-o', binary, source, '-lssl', '-lcrypto']);
  return binary;
}

async function listen(server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

async function nativeServer(m: Material): Promise<{ port: number; close(): Promise<void> }> {
  const server: TlsServer = createTlsServer({ cert: m.certPem, key: m.keyPem, minVersion: 'TLSv1.3' }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}

async function offloadServer(m: Material): Promise<{ port: number; close(): Promise<void> }> {
  const policy = serverPolicy({
    id: `bench-${m.name}`,
    certificates: [{ chain: [m.certDer], key: describeKey(m.name, m.key) }],
    // node:tls (OpenSSL) sends two TLS 1.3 tickets by default; so does this side.
    tickets: { mode: 'stateless', lifetimeSeconds: 7200, count: 2, maxEarlyData: 0 },
  });
  const server = new OffloadServer({
    engine: { provider: new NodeCryptoProvider(), policy, tickets: new TicketKeyRing(new Uint8Array(randomBytes(48))) },
    signer: softwareSigner(new Map([[m.name, m.key]])),
  });
  server.on('secureConnection', (s) => {
    s.on('data', (d: Buffer) => s.write(d));
  });
  server.on('tlsClientError', () => undefined);
  const port = await server.listen(0);
  return { port, close: () => server.close() };
}

async function run(client: string, port: number): Promise<Result> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  if (LOAD === 'wolfssl') {
    const r = await tlsLoad(cpus().length - 1, { port, sni: 'example.test', concurrency: 8, seconds: SECONDS });
    const wallS = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    return { handshakes: r.handshakes, failed: r.failures, wallS, serverCpuUs: cpu.user + cpu.system, clientCpuUs: r.clientCpuSeconds * 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6 };
  }
  const outputs = await Promise.all(
    Array.from({ length: CLIENTS }, () => new Promise<string>((resolve, reject) => {
      const child = spawn(client, ['127.0.0.1', String(port), String(SECONDS)]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      // 'close', not 'exit': stdout may still hold the summary line when the process exits.
      child.on('close', () => resolve(out));
    })),
  );
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  loop.disable();
  let handshakes = 0;
  let failed = 0;
  let clientCpuUs = 0;
  for (const o of outputs) {
    const m = /handshakes=(\d+) failed=(\d+) cpu_us=(\d+)/.exec(o);
    if (!m) throw new Error(`client printed: ${o}`);
    handshakes += Number(m[1]);
    failed += Number(m[2]);
    clientCpuUs += Number(m[3]);
  }
  return { handshakes, failed, wallS, serverCpuUs: cpu.user + cpu.system, clientCpuUs, loopDelayP99Ms: loop.percentile(99) / 1e6 };
}

function add(a: Result | undefined, b: Result): Result {
  if (!a) return b;
  return {
    handshakes: a.handshakes + b.handshakes,
    failed: a.failed + b.failed,
    wallS: a.wallS + b.wallS,
    serverCpuUs: a.serverCpuUs + b.serverCpuUs,
    clientCpuUs: a.clientCpuUs + b.clientCpuUs,
    loopDelayP99Ms: Math.max(a.loopDelayP99Ms, b.loopDelayP99Ms),
  };
}

function row(label: string, r: Result): string {
  const rate = r.handshakes / r.wallS;
  return [
    label.padEnd(22),
    `${rate.toFixed(0).padStart(7)} hs/s`,
    `server ${(r.serverCpuUs / r.handshakes).toFixed(0).padStart(5)} µs/hs`,
    `client ${(r.clientCpuUs / r.handshakes).toFixed(0).padStart(5)} µs/hs`,
    `loop p99 ${r.loopDelayP99Ms.toFixed(1).padStart(6)} ms`,
    r.failed ? `failed ${r.failed}` : '',
  ].join('  ');
}

async function main(): Promise<void> {
  const client = buildClient();
  const keys = [material('ecdsa-p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']), material('rsa-2048', ['-newkey', 'rsa:2048'])];
  const loadLabel = LOAD === 'wolfssl' ? 'wolfSSL tls-load ×8 connections' : `${CLIENTS} OpenSSL client process(es)`;
  console.log(`full TLS 1.3 handshakes, ${loadLabel}, ${ROUNDS} round(s) × ${SECONDS}s per engine, X25519`);
  for (const m of keys) {
    const native = await nativeServer(m);
    const offload = await offloadServer(m);
    let n: Result | undefined;
    let o: Result | undefined;
    // Interleave the engines so drift on a shared machine hits both alike.
    for (let round = 0; round < ROUNDS; round++) {
      n = add(n, await run(client, native.port));
      o = add(o, await run(client, offload.port));
    }
    await native.close();
    await offload.close();
    console.log(`\n${m.name}`);
    console.log(row('native (node:tls)', n!));
    console.log(row('offload (async sign)', o!));
    const ratio = o!.handshakes / o!.wallS / (n!.handshakes / n!.wallS);
    const cpuRatio = o!.serverCpuUs / o!.handshakes / (n!.serverCpuUs / n!.handshakes);
    console.log(`ratio offload/native: handshakes/s ×${ratio.toFixed(2)}, server CPU per handshake ×${cpuRatio.toFixed(2)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
