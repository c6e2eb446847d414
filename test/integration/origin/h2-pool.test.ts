// HTTP/2 origin session pools: streams share a session only within one pool key (never across
// SNIs), concurrent requests wait for one connection attempt instead of opening many, a full key
// makes requests wait (pool_full) rather than exceed max_connections, idle sessions time out, a
// GOAWAY retires a session, and an origin that does not speak h2 is refused and remembered.
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Stream, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { after, describe, it } from 'node:test';
import type { OriginRule } from '../../../adapters/config/model.js';
import type { OriginCloseReason } from '../../../adapters/origin/connection.js';
import { H2OriginPools, type H2Lease } from '../../../adapters/origin/h2-pool.js';
import { OriginError } from '../../../adapters/origin/errors.js';
import { missingTools } from '../../support/requirements.js';
import { pki, rule } from '../http/support/harness.js';

interface H2Origin {
  port: number;
  server: Http2SecureServer;
  /** SNI of each session the origin accepted. */
  snis: string[];
  /** Streams whose responses the test sends itself (`hold`). */
  held: ServerHttp2Stream[];
  sessions: Set<http2.ServerHttp2Session>;
  close(): void;
}

const closers: Array<() => void> = [];

async function startH2Origin(options: { maxConcurrentStreams?: number; hold?: boolean } = {}): Promise<H2Origin> {
  const cert = pki().issue('h2.origin.test', { dns: ['a.origin.test', 'b.origin.test'], ips: ['127.0.0.1'] });
  const server = http2.createSecureServer({ cert: cert.certPem, key: cert.keyPem, settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 100 } });
  const origin: H2Origin = { port: 0, server, snis: [], held: [], sessions: new Set(), close: () => undefined };
  server.on('session', (s) => {
    origin.snis.push((s.socket as { servername?: string }).servername ?? '');
    origin.sessions.add(s);
    s.on('close', () => origin.sessions.delete(s));
  });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    if (options.hold) origin.held.push(stream);
    else {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin.port = (server.address() as { port: number }).port;
  origin.close = () => {
    server.close();
    for (const s of origin.held) s.destroy();
  };
  closers.push(origin.close);
  return origin;
}

function h2Rule(port: number, overrides: Partial<OriginRule> = {}): OriginRule {
  return rule(`https://127.0.0.1:${port}`, { verify: { mode: 'strict', ca: pki().ca.cert }, protocols: ['h2'], ...overrides });
}

function recordingPools() {
  const closed: Array<{ id: string; reason: OriginCloseReason }> = [];
  const waiters: Array<() => void> = [];
  const pools = new H2OriginPools({
    hooks: {
      onConnectionClosed: (i) => {
        closed.push({ id: i.originConnectionId, reason: i.reason });
        for (const w of waiters.splice(0)) w();
      },
    },
  });
  closers.push(() => pools.close());
  const closedWith = async (reason: OriginCloseReason): Promise<void> => {
    while (!closed.some((c) => c.reason === reason)) await new Promise<void>((r) => waiters.push(r));
  };
  return { pools, closed, closedWith };
}

/** Runs one request on a lease to completion; resolves with the status. */
function exchange(lease: H2Lease, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream: ClientHttp2Stream = lease.open({ ':method': 'GET', ':path': path, ':scheme': 'https', ':authority': 'x' }, { endStream: true });
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('error', reject);
    stream.resume();
    stream.on('close', () => resolve(status));
  });
}

describe('HTTP/2 origin session pools', { skip: missingTools('openssl') }, () => {
  after(() => {
    for (const close of closers.splice(0).reverse()) close();
  });

  it('carries concurrent requests of one key on one session, joining a single connection attempt', async () => {
    const origin = await startH2Origin();
    const { pools } = recordingPools();
    const r = h2Rule(origin.port);
    const leases = await Promise.all(Array.from({ length: 6 }, () => pools.acquire({ rule: r, host: 'a.origin.test' })));
    assert.equal(new Set(leases.map((l) => l.session.id)).size, 1);
    assert.deepEqual(leases.map((l) => l.reused), [false, true, true, true, true, true]);
    assert.deepEqual(await Promise.all(leases.map((l) => exchange(l))), [200, 200, 200, 200, 200, 200]);
    assert.deepEqual(origin.snis, ['a.origin.test']);
    assert.equal(pools.stats().sessions, 1);
  });

  it('never carries two SNIs on one session, and says sni_differs', async () => {
    const origin = await startH2Origin();
    const { pools } = recordingPools();
    const r = h2Rule(origin.port);
    const a = await pools.acquire({ rule: r, host: 'a.origin.test' });
    await exchange(a);
    const b = await pools.acquire({ rule: r, host: 'b.origin.test' });
    await exchange(b);
    assert.notEqual(a.session.id, b.session.id);
    assert.notEqual(a.poolKey, b.poolKey);
    assert.deepEqual([b.reused, b.missReason, b.sni], [false, 'sni_differs', 'b.origin.test']);
    assert.deepEqual(origin.snis, ['a.origin.test', 'b.origin.test']);
  });

  it('shares across SNIs in ip mode (declared), with the SNI of whoever opened the session', async () => {
    const origin = await startH2Origin();
    const { pools } = recordingPools();
    const r = h2Rule(origin.port, { pool: { match: 'ip', maxIdle: 64, idleTimeoutMs: 30_000, maxConnections: 8 } });
    const a = await pools.acquire({ rule: r, host: 'a.origin.test' });
    await exchange(a);
    const b = await pools.acquire({ rule: r, host: 'b.origin.test' });
    await exchange(b);
    assert.equal(a.session.id, b.session.id);
    assert.deepEqual(origin.snis, ['a.origin.test']);
  });

  it('makes a request wait (pool_full) when every session of a key is at its stream limit and max_connections is reached', async () => {
    const origin = await startH2Origin({ maxConcurrentStreams: 1, hold: true });
    const { pools } = recordingPools();
    const r = h2Rule(origin.port, { pool: { match: 'sni', maxIdle: 64, idleTimeoutMs: 30_000, maxConnections: 1 } });
    const first = await pools.acquire({ rule: r, host: 'a.origin.test' });
    const done = exchange(first, '/first');
    // the session learns the origin's SETTINGS (one stream) once the first exchange is under way
    await new Promise<void>((resolve) => (origin.held.length > 0 ? resolve() : origin.server.once('stream', () => resolve())));
    let secondLease: H2Lease | undefined;
    const second = pools.acquire({ rule: r, host: 'a.origin.test' }).then((l) => (secondLease = l));
    await new Promise((r2) => setImmediate(r2));
    assert.equal(secondLease, undefined, 'waits: one stream per session, one session per key');
    assert.equal(pools.stats().waiting, 1);
    const held = origin.held.shift()!;
    held.respond({ ':status': 200 });
    held.end();
    assert.equal(await done, 200);
    await second;
    assert.equal(secondLease!.session.id, first.session.id);
    assert.equal(secondLease!.missReason, 'pool_full');
    secondLease!.cancel();
  });

  it('closes a session idle for idle_timeout', async () => {
    const origin = await startH2Origin();
    const { pools, closedWith } = recordingPools();
    const r = h2Rule(origin.port, { pool: { match: 'sni', maxIdle: 64, idleTimeoutMs: 150, maxConnections: 8 } });
    await exchange(await pools.acquire({ rule: r, host: 'a.origin.test' }));
    await closedWith('idle_timeout');
    assert.equal(pools.stats().sessions, 0);
  });

  it('retires a session the origin sends GOAWAY on and opens a new one for the next request', async () => {
    const origin = await startH2Origin();
    const { pools } = recordingPools();
    const r = h2Rule(origin.port);
    const first = await pools.acquire({ rule: r, host: 'a.origin.test' });
    await exchange(first);
    const goaway = new Promise<void>((resolve) => first.session.session.once('goaway', () => resolve()));
    for (const s of origin.sessions) s.close();
    await goaway;
    const next = await pools.acquire({ rule: r, host: 'a.origin.test' });
    assert.notEqual(next.session.id, first.session.id);
    assert.equal(await exchange(next), 200);
  });

  it('speaks h2 with prior knowledge to an http:// origin (h2c)', async () => {
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 204 });
      stream.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const { pools } = recordingPools();
    const r = rule(`http://127.0.0.1:${(server.address() as { port: number }).port}`, { protocols: ['h2'] });
    const lease = await pools.acquire({ rule: r, host: 'a.origin.test' });
    assert.equal(lease.sni, undefined);
    assert.equal(await exchange(lease), 204);
  });

  it('refuses an origin that does not select h2 (alpn_refused) and remembers it', async () => {
    const cert = pki().issue('h1only.origin.test', { dns: ['a.origin.test'], ips: ['127.0.0.1'] });
    const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_q, s) => s.end('h1'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const { pools } = recordingPools();
    const r = h2Rule((server.address() as { port: number }).port, { protocols: ['h2', 'http/1.1'] });
    await assert.rejects(pools.acquire({ rule: r, host: 'a.origin.test' }), (err: unknown) => err instanceof OriginError && err.code === 'alpn_refused');
    assert.equal(pools.refusedH2({ rule: r, host: 'a.origin.test' }), true);
    assert.equal(pools.refusedH2({ rule: r, host: 'other.origin.test' }), false, 'remembered per identity, not per address');
  });
});
