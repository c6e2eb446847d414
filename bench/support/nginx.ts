// A throwaway nginx (Debian's) in its own prefix dir: one worker, loopback only, started and
// stopped by the benchmark. Used as a cheap shared origin and as a peer proxy to compare against.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';
import { stopChild } from './stop.js';

export interface Nginx {
  dir: string;
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx with `http` block contents `httpConfig`, pinned to `core`. */
export async function startNginx(core: number, httpConfig: string, ports: number[]): Promise<Nginx> {
  requireTool('nginx', 'nginx');
  const dir = mkdtempSync(join(tmpdir(), 'tlsedge-nginx-'));
  for (const sub of ['logs', 'tmp', 'www']) mkdirSync(join(dir, sub));
  const conf = `worker_processes 1;
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  ${httpConfig}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('taskset', ['-c', String(core), 'nginx', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (const port of ports) await waitPort(port, () => stderr);
  return {
    dir,
    child,
    pid: child.pid!,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitPort(port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
