// Shared by the per-hostname policy suites: an embedded edge (memory bus) built from a config
// object, its connection events as they happen, and real clients (openssl s_client, curl) run
// without blocking the event loop the edge runs on.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { configFromObject } from '../../../adapters/config/load.js';
import type { TlsedgeConfig } from '../../../adapters/config/model.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { startProxyProcess, type ProxyProcess } from '../../../actors/proxy/process.js';
import { buildRuntime, type BuiltRuntime } from '../../../actors/system/build-runtime.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';

export interface Edge {
  config: TlsedgeConfig;
  built: BuiltRuntime;
  proxy: ProxyProcess;
  port: number;
  /** Every event published so far, in order. */
  events: AnyEvent[];
  stop(): Promise<void>;
}

/** Starts tlsedge (embedded, memory bus, event log in `dir`) on a random loopback port. */
export async function startEdge(dir: string, config: Record<string, unknown>): Promise<Edge> {
  const full = configFromObject(
    {
      listen: [{ address: '127.0.0.1:0' }],
      admin: { address: null },
      log: { dir: join(dir, `events-${Math.random().toString(36).slice(2)}`) },
      session: { tickets: { enabled: false }, cache: { enabled: false } },
      ...config,
    },
    dir,
  );
  const built = await buildRuntime(full, { role: 'test', log: memoryLogger() });
  const events: AnyEvent[] = [];
  built.runtime.bus.subscribe(ALL_EVENTS, (msg) => events.push(msg.data as unknown as AnyEvent));
  let proxy: ProxyProcess;
  try {
    proxy = await startProxyProcess(built.runtime);
  } catch (err) {
    await built.close();
    throw err;
  }
  return {
    config: full,
    built,
    proxy,
    port: proxy.proxy.listeners[0]!.port,
    events,
    async stop() {
      await proxy.stop();
      await built.close();
    },
  };
}

export const factOf = (e: AnyEvent): string => e.type.replace('tlsedge.connection.', '');

/** The events of every closed connection, by connection id. */
export function closedConnections(edge: Edge): AnyEvent[][] {
  const byId = new Map<string, AnyEvent[]>();
  for (const e of edge.events) {
    if (!e.type.startsWith('tlsedge.connection.')) continue;
    const list = byId.get(e.correlationid) ?? [];
    list.push(e);
    byId.set(e.correlationid, list);
  }
  return [...byId.values()].filter((list) => list.some((e) => factOf(e) === 'closed'));
}

/** Waits for a closed connection whose events satisfy `predicate` (events are published as they happen). */
export async function connection(edge: Edge, predicate: (events: AnyEvent[]) => boolean, timeoutMs = 5000): Promise<AnyEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = closedConnections(edge).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such connection among ${closedConnections(edge).length} closed ones: ${JSON.stringify(closedConnections(edge).map((c) => c.map(factOf)))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The data of a connection's first event of `fact`. */
export function dataOf<T = Record<string, unknown>>(events: AnyEvent[], fact: string): T {
  const e = events.find((x) => factOf(x) === fact);
  if (!e) throw new Error(`no ${fact} event in ${events.map(factOf).join(', ')}`);
  return e.data as T;
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (stdin closed at once unless `input` is given). */
export function run(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `openssl s_client` against the edge: everything it printed (stdout and stderr). */
export async function sClient(port: number, servername: string, args: string[] = [], input = ''): Promise<string> {
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, ...args], { input });
  return r.stdout + r.stderr;
}

/** curl against the edge for `name` (resolved to loopback), with `-w` printing version and status last. */
export async function curl(port: number, name: string, path: string, args: string[] = []): Promise<{ body: string; version: string; status: number; code: number | null; stderr: string }> {
  const r = await run('curl', ['-sS', '--resolve', `${name}:${port}:127.0.0.1`, '-w', '\n%{http_version} %{http_code}', ...args, `https://${name}:${port}${path}`]);
  const lines = r.stdout.split('\n');
  const [version = '', status = '0'] = (lines.pop() ?? '').split(' ');
  return { body: lines.join('\n'), version, status: Number(status), code: r.code, stderr: r.stderr };
}
