// Benchmark (issue 6): keep-alive request latency on one name while 32 handshakes of another name
// wait for a TPM-held key, measured in one run for
//   - tlsedge (`tlsedge up`): the offload engine, the signature made by the signer actor's worker
//     pool (PKCS#11 → tpm2-pkcs11 → tpm2-abrmd → swtpm), the event loop free meanwhile;
//   - what a user would do today: a Node https proxy (node:tls) with the same TPM key through the
//     OpenSSL pkcs11 engine (libengine-pkcs11-openssl; OPENSSL_CONF with a `nodejs_conf` section and
//     an explicit MODULE_PATH, PLATFORM-FACTS) — every signature blocks its event loop.
//
//   npx tsx bench/offload-tpm.ts        (BENCH_SECONDS=5 BENCH_ROUNDS=2; needs swtpm, tpm2-abrmd,
//                                        tpm2-pkcs11, libengine-pkcs11-openssl, wrk, nginx, gcc+wolfSSL)
//   BENCH_PROFILE_DIR=d: CPU profiles of tlsedge; BENCH_SURVIVORS_DIR=d: a heap profile of what
//   outlives a scavenge in the first 3 s of each loaded phase (both slow the rounds they profile).
//   BENCH_COMPARE_DIST=path/to/dist: another build of tlsedge as a third server, round by round.
//   BENCH_TLSEDGE_FLAGS='--flag …': extra Node/V8 flags for this build's server (not the compared one);
//   BENCH_TLSEDGE_STDOUT=file: its stdout goes there (e.g. with --trace-gc-nvp).
//
// Both servers run on core 0 — except the threads a process creates after Node's start-up ones
// (tlsedge: the signer's PKCS#11 worker threads, which spend ~5–10 ms of CPU in tpm2-pkcs11 per
// signature, and libuv's pool; node:tls has none busy), moved to core 1: signing uses the second
// core. tls-load's paced mode (4 keep-alive connections, BENCH_RATE=500 requests/s of 100 B
// responses from an nginx origin; latency from each request's scheduled time), tls-load (32
// concurrent full handshakes of the TPM name), nginx, swtpm and tpm2-abrmd share core 1; the paced
// client and the nginx origin run there at real-time priority when allowed (support/priority.ts), so
// that their own wait for that busy core is not counted as the server's latency. Each round
// warms up, measures the keep-alive latency alone, then with the TPM handshakes in flight. The TPM serialises signatures (swtpm: ~5–20 ms each here).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDevCa, issueDevCertificate } from '../adapters/x509/dev-pki.js';
import { measureCpu, measureSteal } from './support/cpu.js';
import { startNginx } from './support/nginx.js';
import { benchRoot, pacedLatency, requireTool, tlsLoad, tlsLoadBinary, wrk, type HandshakeLoad, type PacedLatency } from './support/tools.js';
import { freePort, tempDir, waitForPort } from '../test/support/processes.js';
import { startTpm, type TpmToken } from '../test/support/tpm.js';
import { stopChild } from './support/stop.js';
import { TLSEDGE_NODE_FLAGS } from '../cli/node-flags.js';
import { makeRealtime } from './support/priority.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SERVER_CORE = 0;
const LOAD_CORE = 1;
const IN_FLIGHT = 32;
/** Keep-alive requests per second on the other name (4 connections), paced. */
const PACED_RATE = Number(process.env.BENCH_RATE ?? 500);
const ENGINE_SO = '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so';
const repo = join(benchRoot, '..');
const run = promisify(execFile);

const TLSEDGE = 'tlsedge offload (signer actor)';
const COMPARED = 'tlsedge, compared build';
const NATIVE = 'node:tls + OpenSSL pkcs11 engine';
type Kind = typeof TLSEDGE | typeof COMPARED | typeof NATIVE;
/**
 * BENCH_COMPARE_DIST: another build's `dist` (e.g. a `git worktree` of an older commit, after
 * `npm ci && npm run build` there), run as a third server in the same rounds: machines are noisy,
 * and paired rounds show a change that separate runs cannot.
 */
const COMPARE_DIST = process.env.BENCH_COMPARE_DIST;

interface Sample {
  alone: PacedLatency;
  loaded: PacedLatency;
  tpm: HandshakeLoad;
  serverCpu: number;
  /** CPU seconds of the server's event-loop thread alone during the loaded phase. */
  loopCpu: number;
  /** Share of the server core taken by the hypervisor during the loaded phase. */
  steal: number;
}

async function main(): Promise<void> {
  requireTool('wrk', 'wrk');
  tlsLoadBinary();
  const dir = tempDir('tlsedge-bench-tpm-');
  process.stderr.write('starting the TPM (swtpm + tpm2-abrmd + tpm2-pkcs11) …\n');
  const tpm = await startTpm({ keys: 'ec256:ecc256' });
  try {
    // The simulator does the TPM's crypto on the host CPU; keep it off the servers' core.
    for (const pidFile of ['swtpm.pid', 'abrmd.pid']) {
      const pid = readFileSync(join(tpm.dir, pidFile), 'utf8').trim();
      await run('taskset', ['-a', '-p', '-c', String(LOAD_CORE), pid]).catch(() => undefined);
    }
    await bench(dir, tpm);
  } finally {
    await tpm.stop();
  }
}

async function bench(dir: string, tpm: TpmToken): Promise<void> {
  const ca = await createDevCa('bench CA');
  const ka = await issueDevCertificate(ca, { names: ['ka.test'] });
  writeFileSync(join(dir, 'ka.pem'), ka.certPem + ca.certPem);
  writeFileSync(join(dir, 'ka.key'), ka.keyPem);
  writeFileSync(join(dir, '100b'), 'x'.repeat(99) + '\n');
  const pinEnv = { TLSEDGE_BENCH_TPM_PIN: tpm.pin };
  const signer = { name: 'tpm0', type: 'pkcs11', module: tpm.module, token: tpm.token, pin_env: 'TLSEDGE_BENCH_TPM_PIN', workers: 2, timeout: '10s', max_queue: 1024, env: tpm.env };
  writeFileSync(join(dir, 'signer.yaml'), JSON.stringify({ admin: { address: null }, log: { dir: join(dir, 'cli-events') }, signers: [signer], sni: [{ match: '*', tunnel: '127.0.0.1:9' }] }));
  // The TPM name's certificate is made by the TPM key itself (tlsedge certs self-sign, docs/tpm.md).
  await run(process.execPath, ['--import', 'tsx', join(repo, 'cli', 'main.ts'), 'certs', 'self-sign', '--config', join(dir, 'signer.yaml'), '--key', 'signer:tpm0/ec256', '--names', 'tpm.test', '--out', join(dir, 'tpm.pem')], { env: { ...process.env, ...pinEnv } });
  const originPort = await freePort();
  const origin = await startNginx(LOAD_CORE, `server { listen 127.0.0.1:${originPort}; keepalive_requests 1000000; root ${dir}; location / { } }`, [originPort]);
  // The latency client and the origin its requests reach share the load core with tls-load, swtpm,
  // tpm2-abrmd and the PKCS#11 threads: at real-time priority their own wait for that core is not
  // counted as the server's latency (support/priority.ts). Both servers are measured alike.
  const realtime = makeRealtime(origin.pid);
  process.stderr.write(realtime ? `latency client and origin at real-time priority (SCHED_FIFO) on core ${LOAD_CORE}\n` : `not allowed to raise the latency client's priority (needs root): it competes for core ${LOAD_CORE} like the load\n`);
  const openssl = join(dir, 'openssl.cnf');
  writeFileSync(
    openssl,
    [
      'nodejs_conf = nodejs_init',
      '[nodejs_init]',
      'engines = engine_section',
      '[engine_section]',
      'pkcs11 = pkcs11_section',
      '[pkcs11_section]',
      'engine_id = pkcs11',
      `dynamic_path = ${ENGINE_SO}`,
      `MODULE_PATH = ${tpm.module}`,
      'init = 0',
      '',
    ].join('\n'),
  );
  const results = new Map<Kind, Sample[]>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const kinds: Kind[] = COMPARE_DIST ? [TLSEDGE, COMPARED, NATIVE] : [TLSEDGE, NATIVE];
      // Each round starts with another server, so that none always runs first (or last).
      for (const kind of kinds.map((_, i) => kinds[(i + round - 1) % kinds.length]!)) {
        process.stderr.write(`round ${round}/${ROUNDS}: ${kind} …\n`);
        const port = await freePort();
        const server =
          kind === NATIVE
            ? spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), 'peer', String(port), dir, String(originPort), tpm.token, tpm.pin], {
                stdio: ['ignore', 'ignore', 'inherit'],
                env: { ...process.env, ...tpm.env, OPENSSL_CONF: openssl },
              })
            : startTlsedge(dir, port, originPort, signer, { ...process.env, ...pinEnv }, kind === COMPARED ? COMPARE_DIST! : join(repo, 'dist'));
        try {
          await waitForPort(port, '127.0.0.1', 60_000);
          const url = `https://127.0.0.1:${port}/100b`;
          await wrk(LOAD_CORE, { url, host: 'ka.test', connections: 4, seconds: 3 }); // warm up: JIT, first key activation
          await tlsLoad(LOAD_CORE, { port, sni: 'tpm.test', concurrency: 4, seconds: 2 }); // token sessions, JIT
          // Signing uses the second core: every thread created after Node's own start-up threads (the
          // signer's worker threads, libuv's pool) moves to core 1; node:tls signs on its event loop.
          const moved = await pinLateThreads(server.pid!);
          process.stderr.write(`  threads moved to core ${LOAD_CORE}: ${moved}\n`);
          // Keep-alive latency at a fixed rate (PACED_RATE): how responsive the process stays, not how
          // fast it queues under a saturating client.
          const paced = { port, sni: 'ka.test', path: '/100b', connections: 4, rate: PACED_RATE, seconds: SECONDS, realtime };
          const alone = await pacedLatency(LOAD_CORE, paced);
          const pid = server.pid!;
          if (process.env.BENCH_SURVIVORS_DIR && kind === TLSEDGE) process.kill(pid, 'SIGUSR2');
          const { result: measured, steal } = await measureSteal(SERVER_CORE, () =>
            measureCpu(pid, () => Promise.all([pacedLatency(LOAD_CORE, paced), tlsLoad(LOAD_CORE, { port, sni: 'tpm.test', concurrency: IN_FLIGHT, seconds: SECONDS })])),
          );
          const [loaded, tpmLoad] = measured.result;
          const list = results.get(kind) ?? [];
          list.push({ alone, loaded, tpm: tpmLoad, serverCpu: measured.cpu, loopCpu: measured.mainThread, steal });
          results.set(kind, list);
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

function startTlsedge(dir: string, port: number, originPort: number, signer: object, env: NodeJS.ProcessEnv, dist: string): ChildProcess {
  const config = join(dir, `tlsedge-${port}.yaml`);
  writeFileSync(
    config,
    JSON.stringify({
      listen: [{ address: `127.0.0.1:${port}` }],
      admin: { address: null },
      log: { dir: join(dir, `events-${port}`) },
      signers: [signer],
      certificates: [
        { names: ['ka.test'], cert: join(dir, 'ka.pem'), key: join(dir, 'ka.key'), default: true },
        { names: ['tpm.test'], cert: join(dir, 'tpm.pem'), key: { signer: 'tpm0', label: 'ec256' } },
      ],
      origins: [{ match: { path_prefix: '/' }, to: `http://127.0.0.1:${originPort}` }],
    }),
  );
  // The built CLI, as operators run it (tsx's source maps make every error stack costly).
  const compiled = join(dist, 'cli', 'main.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first (the benchmark measures the built CLI)`);
  const profile = process.env.BENCH_PROFILE_DIR ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  // BENCH_TLSEDGE_FLAGS: more Node/V8 flags for this build's server only (e.g. `--log-deopt --logfile=d/v8.log`).
  if (process.env.BENCH_TLSEDGE_FLAGS && dist === join(repo, 'dist')) profile.push(...process.env.BENCH_TLSEDGE_FLAGS.split(' ').filter(Boolean));
  // BENCH_SURVIVORS_DIR: what outlives a scavenge during the loaded phase (tools/survivors.cjs).
  if (process.env.BENCH_SURVIVORS_DIR) profile.push('-r', join(benchRoot, 'tools', 'survivors.cjs'));
  // BENCH_TLSEDGE_STDOUT=file: this build's stdout (e.g. `--trace-gc-nvp` output) appended there.
  const stdout = process.env.BENCH_TLSEDGE_STDOUT && dist === join(repo, 'dist') ? openSync(process.env.BENCH_TLSEDGE_STDOUT, 'a') : 'ignore';
  return spawn('taskset', ['-c', String(SERVER_CORE), process.execPath, ...TLSEDGE_NODE_FLAGS, ...profile, compiled, 'up', '--config', config, '--state-dir', join(dir, `state-${port}`)], {
    stdio: ['ignore', stdout, 'inherit'],
    env: { ...env, TLSEDGE_LOG_LEVEL: 'warn', ...(process.env.BENCH_SURVIVORS_DIR ? { TLSEDGE_SURVIVORS_DIR: process.env.BENCH_SURVIVORS_DIR } : {}) },
  });
}

/**
 * Node starts with its event loop and six infrastructure threads (V8's platform workers and task
 * scheduler: GC helpers that the loop waits for, so they stay with it); threads created later are
 * libuv's pool and worker threads. Pins the later ones to LOAD_CORE; returns how many.
 */
async function pinLateThreads(pid: number): Promise<number> {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  const late = tids.slice(7);
  for (const tid of late) await run('taskset', ['-p', '-c', String(LOAD_CORE), String(tid)]);
  return late.length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function report(results: Map<Kind, Sample[]>): void {
  const line = (cells: string[]) => process.stdout.write(cells.map((c, i) => (i === 0 ? c.padEnd(36) : c.padStart(13))).join(' ') + '\n');
  process.stdout.write(`\nkeep-alive requests (100 B, 4 connections) on ka.test while ${IN_FLIGHT} handshakes of tpm.test wait for a TPM key — ${ROUNDS} round(s) of ${SECONDS} s, median of rounds\n\n`);
  line(['server', 'alone p50 ms', 'alone p99 ms', 'loaded p50', 'loaded p99', 'req/s loaded', 'TPM hs/s', 'CPU/TPM hs', 'loop busy']);
  const p99 = new Map<Kind, number>();
  for (const [kind, samples] of results) {
    const loadedP99 = median(samples.map((s) => s.loaded.latencyP99Ms));
    p99.set(kind, loadedP99);
    line([
      kind,
      median(samples.map((s) => s.alone.latencyP50Ms)).toFixed(2),
      median(samples.map((s) => s.alone.latencyP99Ms)).toFixed(2),
      median(samples.map((s) => s.loaded.latencyP50Ms)).toFixed(2),
      loadedP99.toFixed(2),
      median(samples.map((s) => s.loaded.rate)).toFixed(0),
      median(samples.map((s) => s.tpm.rate)).toFixed(1),
      `${(median(samples.map((s) => s.serverCpu / Math.max(1, s.tpm.handshakes))) * 1000).toFixed(1)} ms`,
      `${(median(samples.map((s) => s.loopCpu / SECONDS)) * 100).toFixed(1)} %`,
    ]);
  }
  for (const [kind, samples] of results) {
    process.stdout.write(`loaded p99 per round, ${kind}: ${samples.map((s) => `${s.loaded.latencyP99Ms.toFixed(1)} ms (steal ${(s.steal * 100).toFixed(0)} %)`).join(', ')}\n`);
  }
  const offload = p99.get(TLSEDGE)!;
  const native = p99.get(NATIVE)!;
  process.stdout.write(`\nloaded p99: tlsedge ${offload.toFixed(2)} ms vs node:tls + engine ${native.toFixed(2)} ms (×${(native / offload).toFixed(1)}); goal < 5 ms: ${offload < 5 ? 'met' : 'NOT met'}\n`);
  const compared = results.get(COMPARED);
  if (compared) {
    const ours = results.get(TLSEDGE)!;
    const differences = ours.map((s, i) => s.loaded.latencyP99Ms - compared[i]!.loaded.latencyP99Ms);
    const lower = differences.filter((d) => d < 0).length;
    process.stdout.write(`this build vs the compared build (${COMPARE_DIST}), round by round: lower loaded p99 in ${lower} of ${differences.length} rounds, median difference ${median(differences) >= 0 ? '+' : ''}${median(differences).toFixed(2)} ms\n`);
    // Event-loop CPU per TPM handshake (keep-alive traffic included, the same in both): steadier than a tail percentile.
    const perHandshake = (s: Sample) => (s.loopCpu / Math.max(1, s.tpm.handshakes)) * 1e6;
    const cpuDifferences = ours.map((s, i) => perHandshake(s) - perHandshake(compared[i]!));
    process.stdout.write(`event-loop CPU per TPM handshake: ${median(ours.map(perHandshake)).toFixed(0)} µs vs ${median(compared.map(perHandshake)).toFixed(0)} µs, lower in ${cpuDifferences.filter((d) => d < 0).length} of ${cpuDifferences.length} rounds\n`);
  }
  process.stdout.write('CPU/TPM hs = server CPU seconds during the loaded phase ÷ TPM handshakes completed (includes the keep-alive traffic).\n');
  process.stdout.write('loop busy = CPU time of the server\'s event-loop thread ÷ wall time, loaded phase.\n');
  process.stdout.write(`steal = share of core ${SERVER_CORE} the hypervisor gave to other guests while a round was loaded; a round with more than a few % measures the neighbours too.\n`);
}

/** The peer: a Node https reverse proxy, one name's key in the TPM through the OpenSSL pkcs11 engine. */
function peer(port: number, dir: string, originPort: number, token: string, pin: string): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const file = { cert: readFileSync(join(dir, 'ka.pem')), key: readFileSync(join(dir, 'ka.key')) };
  const tpmContext = tls.createSecureContext({
    cert: readFileSync(join(dir, 'tpm.pem')),
    privateKeyEngine: 'pkcs11',
    privateKeyIdentifier: `pkcs11:token=${token};object=ec256;type=private;pin-value=${pin}`,
  } as tls.SecureContextOptions);
  const server = https.createServer({ ...file, SNICallback: (name, cb) => cb(null, name === 'tpm.test' ? tpmContext : undefined) }, (req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: originPort, method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress }, agent }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    upstream.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('tlsClientError', () => undefined);
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
}

if (process.argv[2] === 'peer') {
  const [, , , port, dir, originPort, token, pin] = process.argv;
  peer(Number(port), dir!, Number(originPort), token!, pin!);
} else {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
