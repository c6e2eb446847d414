// The admin endpoint: /healthz (JSON, 503 when unhealthy), /metrics (Prometheus text) and
// /events (Server-Sent Events: live CloudEvents, filterable by ?type=, ?sni=, ?connection=).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Bus } from '../../bus/bus.js';
import type { AnyEvent } from '../../bus/envelope.js';
import { encodeEvent } from '../../bus/event-json.js';
import { ALL_EVENTS } from '../../bus/subjects.js';
import type { HostPort } from '../config/model.js';

export interface AdminDeps {
  bus: Bus;
  metrics: Registry;
  health: () => { ok: boolean; checks: Record<string, unknown> };
  /** Extra facts for /healthz (node id, version, listeners). */
  info: () => Record<string, unknown>;
}

export interface AdminServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startAdminServer(address: HostPort, deps: AdminDeps): Promise<AdminServer> {
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET\n');
    switch (url.pathname) {
      case '/healthz': {
        const report = deps.health();
        return send(res, report.ok ? 200 : 503, 'application/json', JSON.stringify({ ...deps.info(), ...report }, null, 2) + '\n');
      }
      case '/metrics':
        deps.metrics.metrics().then(
          (text) => send(res, 200, deps.metrics.contentType, text),
          (err: Error) => send(res, 500, 'text/plain', `metrics failed: ${err.message}\n`),
        );
        return;
      case '/events':
        return streamEvents(req, res, url, deps.bus, streams);
      case '/':
        return send(res, 200, 'text/plain', 'tlsedge admin: /healthz /metrics /events (SSE; ?type=tlsedge.connection.* &sni=NAME &connection=ID)\n');
      default:
        return send(res, 404, 'text/plain', 'not found: try /healthz, /metrics or /events\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`admin endpoint cannot listen on ${address.host}:${address.port}: ${err.code === 'EADDRINUSE' ? 'address already in use (set admin.address, or stop the other instance)' : err.message}`)));
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  return {
    server,
    port,
    url: `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}`,
    async close() {
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function streamEvents(req: IncomingMessage, res: ServerResponse, url: URL, bus: Bus, streams: Set<ServerResponse>): void {
  const types = url.searchParams.getAll('type');
  const sni = url.searchParams.get('sni');
  const connection = url.searchParams.get('connection');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': tlsedge events\n\n');
  streams.add(res);
  const matches = (e: AnyEvent): boolean =>
    (types.length === 0 || types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : e.type === t))) &&
    (!sni || e.subject === sni) &&
    (!connection || e.correlationid === connection);
  const sub = bus.subscribe(ALL_EVENTS, (msg) => {
    const event = msg.data as unknown as AnyEvent;
    if (!matches(event)) return;
    // SSE: the CloudEvent as one JSON line; `event:` carries the type for EventSource listeners.
    res.write(`event: ${event.type}\nid: ${event.id}\ndata: ${encodeEvent(event)}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const end = () => {
    clearInterval(heartbeat);
    sub.unsubscribe();
    streams.delete(res);
  };
  req.on('close', end);
  res.on('error', end);
}
