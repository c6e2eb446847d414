// Helpers for the resumption suites: a real `openssl s_client` that saves or reuses a session, and
// a fleet config (proxies, session store, key rotation) over a chosen bus.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCa, TestLeaf } from '../../support/pki.js';

export interface SClientOptions {
  servername: string;
  version: '1.2' | '1.3';
  /** Write the session here (`-sess_out`). */
  sessOut?: string;
  /** Offer the session from here (`-sess_in`). */
  sessIn?: string;
  /** TLS 1.2 without the session_ticket extension: session IDs only. */
  noTicket?: boolean;
  /** Client certificate (for `client_cert: require` names). */
  cert?: string;
  key?: string;
}

export interface SClientResult {
  reused: boolean;
  /** The `New, …` / `Reused, …` line. */
  line: string;
  output: string;
}

/**
 * One connection with openssl s_client; sends a request with `Connection: close` and keeps reading
 * (`-ign_eof`) so TLS 1.3 tickets, which arrive after the handshake, make it into `-sess_out`.
 */
export function sclient(port: number, o: SClientOptions): Promise<SClientResult> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', o.servername, o.version === '1.3' ? '-tls1_3' : '-tls1_2', '-ign_eof'];
  if (o.sessOut) args.push('-sess_out', o.sessOut);
  if (o.sessIn) args.push('-sess_in', o.sessIn);
  if (o.noTicket) args.push('-no_ticket');
  if (o.cert) args.push('-cert', o.cert);
  if (o.key) args.push('-key', o.key);
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 15_000 }, (_err, stdout, stderr) => {
      const output = stdout + stderr;
      const line = /^(New|Reused),.*$/m.exec(output)?.[0] ?? '';
      resolve({ reused: line.startsWith('Reused'), line, output });
    });
    child.stdin!.end(`GET / HTTP/1.1\r\nHost: ${o.servername}\r\nConnection: close\r\n\r\n`);
  });
}

export interface FleetPki {
  a: TestLeaf;
  b: TestLeaf;
  /** c.test: tickets off for this certificate (session IDs only). */
  c: TestLeaf;
  client: TestLeaf;
  fleetKeyFile: string;
}

export async function fleetPki(pki: TestCa, dir: string): Promise<FleetPki> {
  const a = await pki.issue('a', { names: ['a.test'] });
  const b = await pki.issue('b', { names: ['b.test'] });
  const c = await pki.issue('c', { names: ['c.test'] });
  const client = await pki.issue('client', { names: ['client.test'], usages: ['clientAuth'] });
  const fleetKeyFile = join(dir, 'fleet.key');
  writeFileSync(fleetKeyFile, randomBytes(32), { mode: 0o600 });
  return { a, b, c, client, fleetKeyFile };
}

export interface FleetConfigOptions {
  node: string;
  busUrl: string;
  /** JSONL log dir (memory bus) — each process its own; the stream is shared in NATS mode. */
  logDir: string;
  stream: string;
  listen?: string;
  tickets?: Record<string, unknown>;
  cache?: Record<string, unknown>;
  /** Per-certificate override for a.test. */
  aTickets?: Record<string, unknown>;
}

/** a.test: no client certificates; b.test: client certificate required (a different policy). */
export function fleetConfigObject(pki: TestCa, f: FleetPki, o: FleetConfigOptions): Record<string, unknown> {
  return {
    node_id: o.node,
    listen: [{ address: o.listen ?? '127.0.0.1:0' }],
    admin: { address: null },
    bus: { url: o.busUrl },
    fleet_key_file: f.fleetKeyFile,
    log: { dir: o.logDir, stream: o.stream, fsync: 'never' },
    session: {
      tickets: { rotate_every: '1h', stage_timeout: '3s', keep: 1, lease_ttl: '3s', ...o.tickets },
      cache: { ttl: '5m', lookup_timeout: '500ms', ...o.cache },
    },
    certificates: [
      { names: ['a.test'], cert: f.a.certFile, key: f.a.keyFile, ...(o.aTickets ? { tickets: o.aTickets } : {}) },
      { names: ['b.test'], cert: f.b.certFile, key: f.b.keyFile },
      { names: ['c.test'], cert: f.c.certFile, key: f.c.keyFile, tickets: { enabled: false } },
    ],
    sni: [
      { match: 'b.test', client_cert: { mode: 'require', ca: pki.caFile } },
      { match: '*' },
    ],
  };
}

export { waitFor } from '../../support/wait.js';
