// Keep-alive proxied requests through tlsedge's HTTP/1.1 loop versus a bare Node proxy
// (`https.createServer` + `http.request` with a keep-alive agent), both in this process, both in
// front of the same nginx origin serving a static body (100 bytes by default), driven by wrk over
// TLS. Prints req/s, MB/s and proxy CPU µs per request for each, and the ratios. Needs nginx, wrk.
//   npx tsx bench/http-loop.ts [seconds] [connections] [body-bytes]
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer as createTlsServer, type Server } from 'node:tls';
import type { OriginRule } from '../adapters/config/model.js';
import type { Http1Hooks } from '../adapters/http/hooks.js';
import { serveHttp1 } from '../adapters/http/proxy/serve.js';
import { OriginPools } from '../adapters/origin/pool.js';
import { which } from '../test/support/requirements.js';
import { freePort, start, tempDir, waitForPort } from '../test/support/processes.js';
import { createTestPki } from '../test/integration/http/support/pki.js';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 32);
const bodyBytes = Number(process.argv[4] ?? 100);

for (const tool of ['nginx', 'wrk']) {
  if (!which(tool)) {
    console.log(`skipped: needs ${tool}`);
    process.exit(0);
  }
}

async function startNginx(): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = tempDir('tlsedge-bench-nginx-');
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  keepalive_requests 1000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:${port}; location = /body { default_type text/plain; alias ${dir}/body; } } }
`,
  );
  writeFileSync(join(dir, 'body'), Buffer.alloc(bodyBytes, 'x'));
  const nginx = start(which('nginx')!, ['-c', conf, '-p', dir]);
  await waitForPort(port);
  return { port, stop: () => nginx.stop() };
}

const run = promisify(execFile);

/** wrk runs as a child while this process (the proxy under test) keeps serving. */
async function wrk(port: number, secs = seconds): Promise<{ rps: number; requests: number; errors: string }> {
  const { stdout: out } = await run('wrk', ['-t1', `-c${connections}`, `-d${secs}s`, `https://127.0.0.1:${port}/body`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const errors = /Non-2xx.*|Socket errors.*/.exec(out)?.[0] ?? '';
  return { rps, requests, errors };
}

async function measure(name: string, server: Server | ReturnType<typeof createHttpsServer>): Promise<{ rps: number; cpuUs: number }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  // warm up the JIT and the pools
  await wrk(port, 1);
  const cpu0 = process.cpuUsage();
  const result = await wrk(port);
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / Math.max(1, result.requests);
  const mbs = (result.rps * bodyBytes) / 1e6;
  console.log(`${name.padEnd(22)} ${result.rps.toFixed(0).padStart(7)} req/s ${mbs.toFixed(1).padStart(7)} MB/s  ${cpuUs.toFixed(1).padStart(7)} µs CPU/request ${result.errors}`);
  server.close();
  return { rps: result.rps, cpuUs };
}

const pki = createTestPki();
const cert = pki.issue('bench.test', { dns: ['bench.test'], ips: ['127.0.0.1'] });
const nginx = await startNginx();
try {
  const rule: OriginRule = {
    index: 0,
    match: { pathPrefix: '/' },
    to: { url: `http://127.0.0.1:${nginx.port}`, protocol: 'http:', host: '127.0.0.1', port: nginx.port, basePath: '' },
    sni: { mode: 'preserve' },
    hostHeader: 'preserve',
    verify: { mode: 'strict' },
    protocols: ['http/1.1'],
    pool: { match: 'sni', maxIdle: 256, idleTimeoutMs: 60_000, maxConnections: 1024 },
    timeouts: { connectMs: 5000, responseMs: 30_000 },
  };
  const pools = new OriginPools();
  const route = { kind: 'origin' as const, rule };
  let bound = 0;
  let responses = 0;
  const hooks: Http1Hooks = {
    route: () => route,
    onOriginBound: () => void bound++,
    onResponse: () => void responses++,
  };
  let id = 0;
  const tlsedge = createTlsServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['http/1.1'] }, (socket) => {
    void serveHttp1(
      socket,
      { id: `c${++id}`, remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, sni: undefined, alpn: 'http/1.1', tlsVersion: 'TLSv1.3' },
      hooks,
      pools,
      { idleTimeoutMs: 60_000, maxHeaderBytes: 16_384 },
    );
  });

  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const bare = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const up = httpRequest({ host: '127.0.0.1', port: nginx.port, method: req.method, path: req.url, headers: req.headers, agent }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  });

  console.log(`keep-alive ${bodyBytes} B proxied responses, ${connections} connections, ${seconds}s each (nginx origin)`);
  // TLSEDGE_BENCH_ONLY=tlsedge skips the baseline (for --cpu-prof runs of our path alone)
  const only = process.env.TLSEDGE_BENCH_ONLY;
  const node = only === 'tlsedge' ? { rps: NaN, cpuUs: NaN } : await measure('bare Node proxy', bare);
  const ours = await measure('tlsedge serveHttp1', tlsedge);
  console.log(`ratio req/s ${(ours.rps / node.rps).toFixed(2)}x, CPU per request ${(node.cpuUs / ours.cpuUs).toFixed(2)}x less (hooks: ${bound} bound, ${responses} responses)`);
  pools.close();
  agent.destroy();
} finally {
  await nginx.stop();
}
