// Resumption rate per mechanism across a fleet of three proxies, against three Debian nginx
// instances (one worker each, their own per-machine session cache and ticket keys) measured in the
// same run. Each attempt: a full handshake on a random instance, then a resumption on a random one.
//   node --import tsx bench/resumption.ts [--attempts N]
// Starts its own nats-server, tlsedge processes (`tlsedge run …`) and nginx instances on loopback
// ports, and stops them all at the end.
import { constants, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { fleetConfigObject, fleetPki } from '../test/integration/resumption/support.js';
import { startCli } from '../test/support/cli.js';
import { startNats } from '../test/support/nats.js';
import { createTestCa } from '../test/support/pki.js';
import { freePort, start, tempDir, waitForOutput, waitForPort, type Started } from '../test/support/processes.js';
import { which } from '../test/support/requirements.js';

const argIndex = process.argv.indexOf('--attempts');
const ATTEMPTS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 300;

interface Mechanism {
  name: string;
  version: 'TLSv1.2' | 'TLSv1.3';
  /** Client sends no session_ticket extension: session IDs only. */
  noTicket: boolean;
  /** tlsedge name to use (c.test has tickets off server-side). */
  servername: string;
}

const mechanisms: Mechanism[] = [
  { name: 'TLS 1.3 ticket', version: 'TLSv1.3', noTicket: false, servername: 'a.test' },
  { name: 'TLS 1.2 ticket', version: 'TLSv1.2', noTicket: false, servername: 'a.test' },
  { name: 'TLS 1.2 session ID', version: 'TLSv1.2', noTicket: true, servername: 'c.test' },
];

interface Tally {
  resumed: number;
  attempts: number;
  crossAttempts: number;
  crossResumed: number;
}

const procs: Started[] = [];
let stopNats: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  if (!which('nats-server') || !which('nginx')) {
    console.error('needs nats-server and nginx: apt-get install -y nats-server nginx');
    process.exitCode = 1;
    return;
  }
  const dir = tempDir('tlsedge-bench-resumption-');
  const pki = await createTestCa();
  const f = await fleetPki(pki, dir);
  const ca = readFileSync(pki.caFile);

  // --- tlsedge: nats + store + rotator + three proxies, each its own process ---------------------
  const nats = await startNats({ jetstream: true });
  stopNats = nats.stop;
  const stream = `BENCH_${randomBytes(3).toString('hex')}`;
  const edgePorts: number[] = [];
  const config = (node: string, listen?: string) => {
    const file = join(dir, `${node}.yaml`);
    const obj = fleetConfigObject(pki, f, { node, busUrl: nats.url, logDir: join(dir, node), stream, ...(listen ? { listen } : {}), cache: { lookup_timeout: '10ms' } });
    writeFileSync(file, JSON.stringify(obj));
    return file;
  };
  procs.push(startCli(['run', 'session-store', '--config', config('store')]));
  const rot = startCli(['run', 'key-rotation', '--config', config('rot')]);
  procs.push(rot);
  await waitForOutput(rot, (o) => o.includes('ticket-key rotation: leader'), 60_000);
  for (const node of ['p1', 'p2', 'p3']) {
    const port = await freePort();
    edgePorts.push(port);
    procs.push(startCli(['run', 'proxy', '--config', config(node, `127.0.0.1:${port}`)]));
  }
  for (const p of edgePorts) await waitForPort(p, '127.0.0.1', 60_000);
  await waitUntil(() => procs.slice(2).every((p) => /ticket keys applied.*encrypting_epoch":\d/.test(p.output())), 30_000);

  // --- nginx: three instances, one worker each, own prefix, temp paths and ports ----------------
  const nginxPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    nginxPorts.push(port);
    const prefix = join(dir, `nginx${i}`);
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(conf, nginxConfig(prefix, port, f.a.certFile, f.a.keyFile));
    procs.push(start(which('nginx')!, ['-p', prefix, '-c', conf, '-e', join(prefix, 'logs', 'error.log')]));
  }
  for (const p of nginxPorts) await waitForPort(p);

  const rows: Array<{ system: string; mechanism: string; tally: Tally }> = [];
  for (const m of mechanisms) {
    rows.push({ system: 'tlsedge (3 proxies, NATS)', mechanism: m.name, tally: await measure(edgePorts, m, m.servername, ca) });
    rows.push({ system: 'nginx 1.22 ×3 (per-machine)', mechanism: m.name, tally: await measure(nginxPorts, m, 'a.test', ca) });
  }

  console.log(`\nresumption over ${ATTEMPTS} attempts per row: full handshake on a random instance, resume on a random instance (same run)\n`);
  console.log(`${'system'.padEnd(28)} ${'mechanism'.padEnd(20)} ${'resumed'.padStart(9)} ${'rate'.padStart(7)}   ${'on another instance'.padStart(22)}`);
  for (const r of rows) {
    const t = r.tally;
    const cross = `${t.crossResumed}/${t.crossAttempts} (${pct(t.crossResumed, t.crossAttempts)})`;
    console.log(`${r.system.padEnd(28)} ${r.mechanism.padEnd(20)} ${`${t.resumed}/${t.attempts}`.padStart(9)} ${pct(t.resumed, t.attempts).padStart(7)}   ${cross.padStart(22)}`);
  }
  for (const m of mechanisms) {
    const edge = rows.find((r) => r.mechanism === m.name && r.system.startsWith('tlsedge'))!.tally;
    const nginx = rows.find((r) => r.mechanism === m.name && r.system.startsWith('nginx'))!.tally;
    console.log(`ratio tlsedge/nginx, ${m.name}: ×${(edge.resumed / Math.max(1, nginx.resumed)).toFixed(2)}`);
  }
}

async function measure(ports: number[], m: Mechanism, servername: string, ca: Buffer): Promise<Tally> {
  const t: Tally = { resumed: 0, attempts: 0, crossAttempts: 0, crossResumed: 0 };
  for (let i = 0; i < ATTEMPTS; i++) {
    const issuer = Math.floor(Math.random() * ports.length);
    const target = Math.floor(Math.random() * ports.length);
    const session = await connect(ports[issuer]!, m, servername, ca, undefined);
    t.attempts++;
    if (issuer !== target) t.crossAttempts++;
    if (!session.session) continue;
    const again = await connect(ports[target]!, m, servername, ca, session.session);
    if (again.reused) {
      t.resumed++;
      if (issuer !== target) t.crossResumed++;
    }
  }
  return t;
}

/** One handshake; waits for the session (TLS 1.3 tickets arrive after it) before closing. */
function connect(port: number, m: Mechanism, servername: string, ca: Buffer, session: Buffer | undefined): Promise<{ session: Buffer | undefined; reused: boolean }> {
  return new Promise((resolve) => {
    let saved: Buffer | undefined;
    let reused = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ session: saved, reused });
    };
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, minVersion: m.version, maxVersion: m.version, ...(m.noTicket ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}), ...(session ? { session } : {}) });
    const timer = setTimeout(finish, 2000);
    socket.on('session', (s: Buffer) => {
      saved = s;
      finish();
    });
    socket.on('secureConnect', () => {
      reused = socket.isSessionReused();
      if (session) finish(); // resuming: the answer is known
    });
    socket.on('data', () => undefined);
    socket.on('error', finish);
  });
}

function nginxConfig(prefix: string, port: number, cert: string, key: string): string {
  const asRoot = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${asRoot}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name a.test;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    # the usual per-machine cache; ticket keys are nginx's default: random per instance
    ssl_session_cache shared:SSL:10m;
    location / { return 200 "ok\\n"; }
  }
}
`;
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`;
}

async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('bench setup timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

try {
  await main();
} finally {
  await Promise.all(procs.map((p) => p.stop()));
  await stopNats?.();
}
