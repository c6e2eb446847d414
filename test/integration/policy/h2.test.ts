// HTTP/2 to clients: misdirected requests on a coalesced connection get 421 (RFC 9113 §9.1.2) unless
// both names share one policy; concurrent streams, large bodies and trailers proxied to HTTP/1.1
// origins; h2 origins through session pools keyed like the HTTP/1.1 ones (reuse, SNI, miss
// reasons); fallback to HTTP/1.1 when an origin refuses h2; failures that stay per stream.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import http2, { type ClientHttp2Session, type Http2SecureServer, type IncomingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { replayConnection } from '../../../actors/connection/explain.js';
import { httpsGet } from '../../support/https-client.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { connection, dataOf, factOf, startEdge, type Edge } from './support.js';
import type { AnyEvent } from '../../../bus/envelope.js';

const MiB = 1 << 20;

/** An HTTP/1.1 origin with the endpoints the suite needs. */
function h1Origin(): HttpServer {
  const server = createHttpServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (d: Buffer) => {
      hash.update(d);
      length += d.length;
    });
    req.on('end', () => {
      const url = req.url ?? '';
      if (url.startsWith('/big')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MiB });
        res.end(Buffer.alloc(MiB, 0x61));
      } else if (url.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('first part, ');
        setTimeout(() => {
          res.write('second part');
          res.addTrailers({ 'x-checksum': 'abc123' });
          res.end();
        }, 5);
      } else if (url.startsWith('/slow')) {
        setTimeout(() => res.end('slow\n'), 2000).unref();
      } else {
        const body = JSON.stringify({ method: req.method, url, host: req.headers.host, length, sha256: hash.digest('hex'), via: req.headers.via, xfh: req.headers['x-forwarded-host'] });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'set-cookie': ['a=1', 'b=2'] });
        res.end(body);
      }
    });
  });
  server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  return server;
}

describe('HTTP/2 to clients', () => {
  let pki: TestCa;
  let origin: HttpServer;
  let h2origin: Http2SecureServer;
  let h2Sessions = 0;
  let h1only: HttpsServer;
  let edge: Edge;
  const listen = (s: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }) =>
    new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

  before(async () => {
    const dir = tempDir('tlsedge-h2-');
    pki = await createTestCa();
    const names = ['a.test', 'b.test', 'c.test', 'up.test', 'h2o.test', 'alias.test', 'mixed.test', 'down.test'];
    const leaf = await pki.issue('edge', { names });
    const originLeaf = await pki.issue('origin', { names: ['h2o.test', 'alias.test', 'mixed.test'] });
    origin = h1Origin();
    h2origin = http2.createSecureServer({ cert: readFileSync(originLeaf.certFile), key: readFileSync(originLeaf.keyFile) });
    h2origin.on('session', () => h2Sessions++);
    let refusedOnce = false;
    h2origin.on('stream', (stream, headers) => {
      if (headers[':path'] === '/refuse-once' && !refusedOnce) {
        // RFC 9113 §8.7: REFUSED_STREAM means "not processed, safe to retry"
        refusedOnce = true;
        stream.on('error', () => undefined);
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      let length = 0;
      stream.on('data', (d: Buffer) => (length += d.length));
      stream.on('end', () => {
        const body = JSON.stringify({ authority: headers[':authority'], path: headers[':path'], length, via: headers.via, proto: 'h2', sni: (stream.session?.socket as { servername?: string } | undefined)?.servername });
        stream.respond({ ':status': 200, 'content-type': 'application/json' }, { waitForTrailers: headers.te === 'trailers' });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(body);
      });
    });
    h1only = createHttpsServer({ cert: readFileSync(originLeaf.certFile), key: readFileSync(originLeaf.keyFile) }, (req, res) => res.end(`https/1.1 ${req.url} alpn=${(req.socket as { alpnProtocol?: string }).alpnProtocol}\n`));
    const [originPort, h2port, h1onlyPort] = await Promise.all([listen(origin), listen(h2origin), listen(h1only)]);
    edge = await startEdge(dir, {
      certificates: [{ names, cert: leaf.certFile, key: leaf.keyFile, default: true }],
      sni: [
        { match: 'a.test', alpn: ['h2', 'http/1.1'] },
        // another policy behind the same certificate: requests client certificates
        { match: 'b.test', alpn: ['h2', 'http/1.1'], client_cert: { mode: 'request', ca: pki.caFile } },
        // a policy identical to a.test's under another rule: may share a.test's connections
        { match: 'c.test', alpn: ['h2', 'http/1.1'] },
      ],
      origins: [
        { match: { host: 'h2o.test' }, to: `https://127.0.0.1:${h2port}`, verify: { mode: 'strict', ca: pki.caFile }, protocols: ['h2'] },
        { match: { host: 'alias.test' }, to: `https://127.0.0.1:${h2port}`, verify: { mode: 'strict', ca: pki.caFile }, protocols: ['h2'] },
        { match: { host: 'mixed.test' }, to: `https://127.0.0.1:${h1onlyPort}`, verify: { mode: 'strict', ca: pki.caFile }, protocols: ['h2', 'http/1.1'] },
        { match: { host: 'down.test' }, to: 'http://127.0.0.1:1' },
        { match: {}, to: `http://127.0.0.1:${originPort}`, timeouts: { response: '1s' } },
      ],
    });
  });

  after(async () => {
    await edge?.stop();
    origin?.closeAllConnections();
    origin?.close();
    h2origin?.close();
    h1only?.closeAllConnections();
    h1only?.close();
  });

  /** An h2 session to the edge negotiated for `servername`. */
  function session(servername: string): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const s = http2.connect(`https://${servername}:${edge.port}`, {
        createConnection: () => tlsConnect({ host: '127.0.0.1', port: edge.port, servername, ca: readFileSync(pki.caFile), ALPNProtocols: ['h2'] }),
      });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }

  interface H2Response {
    status: number;
    headers: IncomingHttpHeaders;
    body: Buffer;
    trailers: IncomingHttpHeaders | undefined;
  }

  function fetch(s: ClientHttp2Session, path: string, options: { authority?: string; method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<H2Response> {
    return new Promise((resolve, reject) => {
      const req = s.request({ ':path': path, ':method': options.method ?? 'GET', ...(options.authority ? { ':authority': options.authority } : {}), ...options.headers }, { endStream: !options.body });
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders | undefined;
      req.on('response', (h) => (headers = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), trailers }));
      req.on('error', reject);
      if (options.body) req.end(options.body);
    });
  }

  const json = (r: H2Response) => JSON.parse(r.body.toString()) as Record<string, unknown>;
  const connectionWith = (path: string) => connection(edge, (ev) => ev.some((e) => (e.data as { path?: string }).path === path));
  const bound = (events: AnyEvent[]) => events.filter((e) => factOf(e) === 'origin_bound').map((e) => e.data as { path: string; reused: boolean; originConnection: string; originProtocol: string; sniSent: string | null; missReason?: string; poolKey: string });

  it('answers 421 to a stream whose :authority has another sni rule, and serves one with an identical rule on the same connection', async () => {
    const s = await session('a.test');
    try {
      const other = await fetch(s, '/coalesce-b', { authority: 'b.test' });
      const same = await fetch(s, '/coalesce-c', { authority: 'c.test' });
      const own = await fetch(s, '/coalesce-a', { authority: 'a.test' });
      assert.equal(other.status, 421, 'b.test requests client certificates: never over a connection that did not');
      assert.deepEqual([same.status, json(same).host], [200, 'c.test']);
      assert.deepEqual([own.status, json(own).host], [200, 'a.test']);
    } finally {
      s.close();
    }
    const events = await connectionWith('/coalesce-b');
    const refused = events.filter((e) => factOf(e) === 'request_refused').map((e) => e.data as { status: number; reason: string; host: string });
    assert.deepEqual(refused, [{ request: 1, status: 421, reason: 'misdirected', host: 'b.test', path: '/coalesce-b' }]);
    assert.deepEqual(bound(events).map((b) => b.path), ['/coalesce-c', '/coalesce-a'], 'all three on one connection');
  });

  it('applies the same rule to HTTP/1.1 Host versus SNI', async () => {
    const get = async (host: string) => (await httpsGet(edge.port, 'a.test', '/h1-host', readFileSync(pki.caFile), { host })).status;
    assert.equal(await get('b.test'), 421);
    assert.equal(await get('c.test'), 200);
  });

  it('proxies 40 concurrent streams of one connection to an HTTP/1.1 origin, each with its own answer', async () => {
    const s = await session('a.test');
    const bodies = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? undefined : randomBytes(64 * 1024 + i)));
    let results: H2Response[];
    try {
      results = await Promise.all(bodies.map((body, i) => fetch(s, `/concurrent/${i}`, body ? { method: 'POST', body } : {})));
    } finally {
      s.close();
    }
    results.forEach((r, i) => {
      const got = json(r);
      assert.equal(r.status, 200);
      assert.equal(got.url, `/concurrent/${i}`);
      assert.equal(got.length, bodies[i]?.length ?? 0);
      if (bodies[i]) assert.equal(got.sha256, createHash('sha256').update(bodies[i]!).digest('hex'));
      assert.equal(got.via, '2 tlsedge');
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    });
    const events = await connectionWith('/concurrent/0');
    assert.equal(bound(events).length, 40);
    assert.equal(events.filter((e) => factOf(e) === 'request_completed').length, 40);
    const replay = replayConnection(events);
    assert.ok(replay.steps.every((st) => !st.ignored), 'the statechart accepts interleaved requests');
    // originBound is the connection's lifecycle stage (docs/design/connection-statechart.md); every
    // bound request completed (40 origin_bound, 40 request_completed above).
    assert.equal(replay.steps.at(-2)!.state, 'originBound');
  });

  it('streams 1 MiB up and 1 MiB down', async () => {
    const s = await session('a.test');
    try {
      const up = randomBytes(MiB);
      const echoed = json(await fetch(s, '/echo-big', { method: 'POST', body: up }));
      assert.deepEqual([echoed.length, echoed.sha256], [MiB, createHash('sha256').update(up).digest('hex')]);
      const down = await fetch(s, '/big');
      assert.equal(down.body.length, MiB);
      assert.equal(down.headers['content-length'], String(MiB));
    } finally {
      s.close();
    }
  });

  it('turns a chunked HTTP/1.1 response into DATA, with its trailers for a client that asks for them', async () => {
    const s = await session('a.test');
    try {
      const plain = await fetch(s, '/chunked');
      assert.equal(plain.body.toString(), 'first part, second part');
      assert.equal(plain.headers['transfer-encoding'], undefined);
      const withTrailers = await fetch(s, '/chunked', { headers: { te: 'trailers' } });
      assert.equal(withTrailers.body.toString(), 'first part, second part');
      assert.equal(withTrailers.trailers?.['x-checksum'], 'abc123');
    } finally {
      s.close();
    }
  });

  it('carries requests to an h2 origin on one pooled session, and opens another for another SNI (sni_differs)', async () => {
    const before = h2Sessions;
    const s = await session('h2o.test');
    try {
      const first = await fetch(s, '/h2-first', { headers: { te: 'trailers' } });
      const second = await fetch(s, '/h2-second', { method: 'POST', body: Buffer.from('abc') });
      assert.deepEqual([first.status, json(first).proto, json(first).path, json(first).sni], [200, 'h2', '/h2-first', 'h2o.test']);
      assert.equal(first.trailers?.['grpc-status'], '0', 'trailers pass through end to end');
      assert.equal(json(second).length, 3);
    } finally {
      s.close();
    }
    const alias = await session('alias.test');
    try {
      const r = await fetch(alias, '/h2-alias');
      assert.equal(json(r).sni, 'alias.test', 'the alias name went out as its own SNI');
    } finally {
      alias.close();
    }
    assert.equal(h2Sessions - before, 2, 'one origin session per SNI');
    const main = bound(await connectionWith('/h2-first'));
    assert.deepEqual(main.map((b) => [b.originProtocol, b.reused, b.sniSent]), [['h2', false, 'h2o.test'], ['h2', true, 'h2o.test']]);
    assert.equal(main[0]!.originConnection, main[1]!.originConnection);
    const other = bound(await connectionWith('/h2-alias'));
    assert.equal(other[0]!.reused, false);
    assert.equal(other[0]!.missReason, 'sni_differs', 'a live session to the same address existed for another SNI');
    assert.notEqual(other[0]!.poolKey, main[0]!.poolKey);
  });

  it('retries a request the h2 origin refused (REFUSED_STREAM) once, on another session', async () => {
    const s = await session('h2o.test');
    try {
      const r = await fetch(s, '/refuse-once');
      assert.deepEqual([r.status, json(r).path], [200, '/refuse-once']);
    } finally {
      s.close();
    }
    const b = bound(await connectionWith('/refuse-once'));
    assert.equal(b.length, 2, 'bound twice: the refused attempt and the retry');
    assert.notEqual(b[0]!.originConnection, b[1]!.originConnection);
  });

  it('falls back to HTTP/1.1 for a rule allowing both when the origin does not select h2', async () => {
    const s = await session('mixed.test');
    try {
      const first = await fetch(s, '/mixed-1');
      const second = await fetch(s, '/mixed-2');
      assert.equal(first.body.toString(), 'https/1.1 /mixed-1 alpn=http/1.1\n');
      assert.equal(second.status, 200);
    } finally {
      s.close();
    }
    const events = bound(await connectionWith('/mixed-1'));
    assert.deepEqual(events.map((b) => b.originProtocol), ['http/1.1', 'http/1.1']);
  });

  it('fails one stream with 502 when its origin is down and keeps serving the others', async () => {
    const s = await session('down.test');
    try {
      const [down, up] = await Promise.all([fetch(s, '/gone'), fetch(s, '/still-here', { authority: 'up.test' })]);
      assert.equal(down.status, 502);
      assert.equal(up.status, 200);
    } finally {
      s.close();
    }
    const events = await connectionWith('/still-here');
    const failed = dataOf<{ status: number; bound: boolean }>(events, 'origin_failed');
    assert.deepEqual([failed.status, failed.bound], [502, false]);
    assert.ok(replayConnection(events).steps.every((st) => !st.ignored));
  });

  it('survives a client resetting a stream mid-response, and the connection goes on', async () => {
    const s = await session('a.test');
    try {
      await new Promise<void>((resolve, reject) => {
        const req = s.request({ ':path': '/big' });
        req.once('data', () => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          resolve();
        });
        req.on('error', reject);
      });
      const after = await fetch(s, '/after-reset');
      assert.equal(after.status, 200);
    } finally {
      s.close();
    }
  });

  it('answers 504 when the origin is slower than timeouts.response', async () => {
    const s = await session('a.test');
    try {
      const slow = await fetch(s, '/slow');
      assert.equal(slow.status, 504);
    } finally {
      s.close();
    }
  });

  it('passes an HTTP/1.1 Upgrade through as a raw tunnel', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: edge.port, servername: 'a.test', ca: readFileSync(pki.caFile), ALPNProtocols: ['http/1.1'] }, () => {
        socket.write('GET /ws HTTP/1.1\r\nHost: a.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n') && !text.includes('echo:')) socket.write('ping');
        if (text.includes('echo:ping')) {
          socket.end();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    assert.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(got, /echo:ping$/);
  });
});
