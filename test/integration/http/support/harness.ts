// Test harness for the HTTP/1.1 request path: the proxy loop on a real TLS server socket, origins
// (plain `http`, `https`, raw TCP) on loopback, and a raw TLS client that reads responses with
// its own small, independent parser. Everything started here is stopped by `closeAll()`.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { OriginRule } from '../../../../adapters/config/model.js';
import type { Http1Hooks, OriginBoundInfo, OriginErrorInfo, RequestErrorInfo, ResponseInfo, RouteDecision, RouteRequest } from '../../../../adapters/http/hooks.js';
import { serveHttp1, type Http1Options, type Http1Summary } from '../../../../adapters/http/proxy/serve.js';
import { OriginPools, type OriginPoolsOptions } from '../../../../adapters/origin/pool.js';
import { createTestPki, type TestCert, type TestPki } from './pki.js';

const closers: Array<() => Promise<void> | void> = [];

export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

let pkiSingleton: TestPki | undefined;
let proxyCert: TestCert | undefined;

/** One CA per test process; the proxy serves app.test, other.test, *.app.test and localhost. */
export function pki(): TestPki {
  pkiSingleton ??= createTestPki();
  return pkiSingleton;
}

function proxyCertificate(): TestCert {
  proxyCert ??= pki().issue('app.test', { dns: ['app.test', 'other.test', '*.app.test', 'localhost'], ips: ['127.0.0.1'] });
  return proxyCert;
}

/** An OriginRule with the config defaults (adapters/config/sections/origins.ts), overridable. */
export function rule(to: string, overrides: Partial<Omit<OriginRule, 'to'>> = {}, index = 0): OriginRule {
  const url = new URL(to);
  const https = url.protocol === 'https:';
  return {
    index,
    match: { pathPrefix: '/' },
    to: {
      url: to,
      protocol: url.protocol as 'http:' | 'https:',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : https ? 443 : 80,
      basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    },
    sni: { mode: 'preserve' },
    hostHeader: 'preserve',
    verify: { mode: 'strict' },
    protocols: ['http/1.1'],
    pool: { match: 'sni', maxIdle: 64, idleTimeoutMs: 30_000, maxConnections: 1024 },
    timeouts: { connectMs: 5_000, responseMs: 30_000 },
    ...overrides,
  };
}

export interface HookLog {
  bound: OriginBoundInfo[];
  responses: ResponseInfo[];
  originErrors: OriginErrorInfo[];
  requestErrors: RequestErrorInfo[];
  summaries: Http1Summary[];
}

export interface ProxyUnderTest {
  port: number;
  pools: OriginPools;
  log: HookLog;
  /** Resolves when `n` client connections have finished. */
  summaries(n: number): Promise<Http1Summary[]>;
}

export interface ProxyOptions {
  route: (req: RouteRequest) => RouteDecision;
  limits?: Partial<Http1Options>;
  pools?: OriginPools;
  poolOptions?: OriginPoolsOptions;
}

/** A TLS server whose connections run `serveHttp1`, with every hook call recorded. */
export async function startProxy(options: ProxyOptions): Promise<ProxyUnderTest> {
  const pools = options.pools ?? new OriginPools(options.poolOptions);
  const log: HookLog = { bound: [], responses: [], originErrors: [], requestErrors: [], summaries: [] };
  const hooks: Http1Hooks = {
    route: options.route,
    onOriginBound: (i) => log.bound.push(i),
    onResponse: (i) => log.responses.push(i),
    onOriginError: (i) => log.originErrors.push(i),
    onRequestError: (i) => log.requestErrors.push(i),
  };
  const cert = proxyCertificate();
  const waiters: Array<{ n: number; resolve: (s: Http1Summary[]) => void }> = [];
  let nextId = 0;
  const server = createTlsServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['http/1.1'] }, (socket) => {
    const info = {
      id: `c-${++nextId}`,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      sni: typeof socket.servername === 'string' ? socket.servername : undefined,
      alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined,
      tlsVersion: socket.getProtocol() ?? undefined,
    };
    void serveHttp1(socket, info, hooks, pools, { idleTimeoutMs: 10_000, maxHeaderBytes: 16_384, ...options.limits }).then((summary) => {
      log.summaries.push(summary);
      for (const w of waiters.splice(0)) {
        if (log.summaries.length >= w.n) w.resolve(log.summaries.slice());
        else waiters.push(w);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  closers.push(async () => {
    pools.close();
    server.close();
  });
  return {
    port,
    pools,
    log,
    summaries: (n) =>
      log.summaries.length >= n ? Promise.resolve(log.summaries.slice()) : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

export interface OriginUnderTest<S> {
  port: number;
  server: S;
  /** Connections accepted so far. */
  connections: number;
  /** SNI of every TLS connection, in order (https origins). */
  snis: Array<string | false>;
  /** Raw sockets accepted (to kill them). */
  sockets: Socket[];
}

/** A plain `node:http` origin. */
export async function startHttpOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<OriginUnderTest<HttpServer>> {
  const server = createHttpServer({ keepAliveTimeout: 30_000 }, handler);
  return listen(server, 'connection');
}

/** An `https` origin with a certificate for `names`; records the SNI of each connection. */
export async function startHttpsOrigin(
  names: string[],
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  extra: { requestCert?: boolean; ca?: string } = {},
): Promise<OriginUnderTest<HttpServer>> {
  const cert = pki().issue(names[0] ?? 'origin.test', { dns: names, ips: ['127.0.0.1'] });
  const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem, keepAliveTimeout: 30_000, ...extra }, handler);
  const origin = await listen(server as unknown as HttpServer, 'secureConnection');
  return origin;
}

async function listen(server: HttpServer, event: 'connection' | 'secureConnection'): Promise<OriginUnderTest<HttpServer>> {
  const origin: OriginUnderTest<HttpServer> = { port: 0, server, connections: 0, snis: [], sockets: [] };
  server.on(event, (socket: Socket | TLSSocket) => {
    origin.connections++;
    origin.sockets.push(socket);
    if (event === 'secureConnection') origin.snis.push((socket as TLSSocket).servername ?? false);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin.port = (server.address() as { port: number }).port;
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return origin;
}

/** A raw TCP origin: `onSocket` gets every accepted socket. */
export async function startRawOrigin(onSocket: (socket: Socket) => void): Promise<OriginUnderTest<NetServer>> {
  const server = createNetServer(onSocket);
  const origin: OriginUnderTest<NetServer> = { port: 0, server, connections: 0, snis: [], sockets: [] };
  server.on('connection', (s) => {
    origin.connections++;
    origin.sockets.push(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin.port = (server.address() as { port: number }).port;
  closers.push(() => {
    for (const s of origin.sockets) s.destroy();
    server.close();
  });
  return origin;
}

/** A TLS client connection to the proxy (trusting the test CA). */
export async function connectClient(port: number, servername = 'app.test'): Promise<ClientConnection> {
  const socket = tlsConnect({ port, host: '127.0.0.1', servername, ca: pki().ca.certPem, ALPNProtocols: ['http/1.1'] });
  await once(socket, 'secureConnect');
  const client = new ClientConnection(socket);
  closers.push(() => void socket.destroy());
  return client;
}

export interface ParsedResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  /** The raw head as received. */
  head: string;
  header(name: string): string | undefined;
}

/**
 * A raw HTTP/1.1 client over one TLS connection: writes bytes, reads responses with a small
 * lenient parser of its own (independent of the code under test).
 */
export class ClientConnection {
  private chunks: Buffer[] = [];
  private total = 0;
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.total += d.length;
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Everything received and not yet consumed, joined lazily (large bodies arrive in many chunks). */
  private get buf(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0]!;
  }

  private set buf(rest: Buffer) {
    this.chunks = [rest];
    this.total = rest.length;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private more(): Promise<void> {
    if (this.ended) return Promise.reject(new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves when the server has closed the connection (all data read). */
  async closed(): Promise<Buffer> {
    while (!this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.buf;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Reads one response; `head: true` for a response to HEAD (no body). */
  async response(options: { head?: boolean } = {}): Promise<ParsedResponse> {
    let end: number;
    while ((end = this.buf.indexOf('\r\n\r\n')) < 0) await this.more();
    const head = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end + 4);
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number(statusLine!.split(' ')[1]);
    const headers = lines.map((l): [string, string] => {
      const i = l.indexOf(':');
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
    const header = (name: string): string | undefined => headers.find(([n]) => n === name.toLowerCase())?.[1];
    let body: Buffer = Buffer.alloc(0);
    const noBody = options.head || status < 200 || status === 204 || status === 304;
    if (!noBody) {
      const te = header('transfer-encoding');
      const cl = header('content-length');
      if (te && /chunked\s*$/i.test(te)) {
        const parts: Buffer[] = [];
        for (;;) {
          let lineEnd: number;
          while ((lineEnd = this.buf.indexOf('\r\n')) < 0) await this.more();
          const size = parseInt(this.buf.subarray(0, lineEnd).toString('latin1').split(';')[0]!, 16);
          this.buf = this.buf.subarray(lineEnd + 2);
          if (size === 0) {
            let tEnd: number;
            while ((tEnd = this.buf.indexOf('\r\n')) < 0) await this.more();
            while (tEnd !== 0) {
              this.buf = this.buf.subarray(tEnd + 2);
              while ((tEnd = this.buf.indexOf('\r\n')) < 0) await this.more();
            }
            this.buf = this.buf.subarray(2);
            break;
          }
          while (this.total < size + 2) await this.more();
          parts.push(this.buf.subarray(0, size));
          this.buf = this.buf.subarray(size + 2);
        }
        body = Buffer.concat(parts);
      } else if (cl !== undefined) {
        const n = Number(cl);
        while (this.total < n) await this.more();
        body = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
      } else {
        await this.closed().catch(() => undefined);
        body = this.buf;
        this.buf = Buffer.alloc(0);
      }
    }
    return { status, headers, body, head, header };
  }

  /** Bytes that arrive next, raw (after an upgrade). */
  async read(n: number): Promise<Buffer> {
    while (this.total < n) await this.more();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** `GET <path>` with Host and any extra header lines. */
export function get(path: string, host = 'app.test', extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

/** Waits until `condition()` holds (polling), failing after `timeoutMs` rather than hanging. */
export async function until(condition: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
