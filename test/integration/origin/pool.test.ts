import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { OriginRule } from '../../../adapters/config/model.js';
import type { OriginCloseReason } from '../../../adapters/origin/connection.js';
import { OriginError } from '../../../adapters/origin/errors.js';
import { OriginPools } from '../../../adapters/origin/pool.js';
import { missingTools } from '../../support/requirements.js';
import { closeAll, connectClient, get, pki, rule, startHttpsOrigin, startProxy, startRawOrigin, until } from '../http/support/harness.js';

/** Origin handler that reports which SNI the connection was opened with and which Host it got. */
function whoAmI(req: IncomingMessage, res: ServerResponse): void {
  const tls = req.socket as TLSSocket;
  res.end(JSON.stringify({ sni: tls.servername, host: req.headers.host, peer: tls.getPeerCertificate?.()?.subject?.CN ?? null }));
}

function poolRule(port: number, overrides: Partial<OriginRule> = {}, index = 0): OriginRule {
  return rule(`https://127.0.0.1:${port}`, { verify: { mode: 'strict', ca: pki().ca.cert }, ...overrides }, index);
}

/** Pools whose close events can be awaited. */
function recordingPools(options: ConstructorParameters<typeof OriginPools>[0] = {}) {
  const closed: Array<{ id: string; reason: OriginCloseReason }> = [];
  const verifyFailures: string[] = [];
  const waiters: Array<() => void> = [];
  const pools = new OriginPools({
    ...options,
    hooks: {
      onConnectionClosed: (i) => {
        closed.push({ id: i.originConnectionId, reason: i.reason });
        for (const w of waiters.splice(0)) w();
      },
      onVerifyFailure: (i) => verifyFailures.push(i.code),
    },
  });
  const closedWith = async (reason: OriginCloseReason): Promise<void> => {
    while (!closed.some((c) => c.reason === reason)) await new Promise<void>((r) => waiters.push(r));
  };
  return { pools, closed, verifyFailures, closedWith };
}

describe('origin pools', { skip: missingTools('openssl') }, () => {
  after(closeAll);

  it('never shares a connection between two SNIs in sni mode, and names the miss sni_differs', async () => {
    const origin = await startHttpsOrigin(['*.example.test'], whoAmI);
    const r = poolRule(origin.port);
    const proxy = await startProxy({ route: () => ({ kind: 'origin', rule: r }) });
    const client = await connectClient(proxy.port);
    const seen = [];
    for (const host of ['a.example.test', 'b.example.test', 'a.example.test', 'b.example.test']) {
      client.write(get('/', host));
      seen.push(JSON.parse((await client.response()).body.toString()));
    }
    assert.deepEqual(origin.snis, ['a.example.test', 'b.example.test']);
    assert.ok(seen.every((s) => s.sni === s.host), 'every request reached the origin on a connection opened with its own SNI');
    assert.deepEqual(
      proxy.log.bound.map((b) => [b.sni, b.reused, b.missReason]),
      [
        ['a.example.test', false, undefined],
        ['b.example.test', false, 'sni_differs'],
        ['a.example.test', true, undefined],
        ['b.example.test', true, undefined],
      ],
    );
    assert.notEqual(proxy.log.bound[0]!.poolKey, proxy.log.bound[1]!.poolKey);
  });

  it('shares one connection between two SNIs in ip mode (the classic misrouting, by declaration)', async () => {
    const origin = await startHttpsOrigin(['*.example.test'], whoAmI);
    const r = poolRule(origin.port, { pool: { match: 'ip', maxIdle: 8, idleTimeoutMs: 30_000, maxConnections: 8 } });
    const proxy = await startProxy({ route: () => ({ kind: 'origin', rule: r }) });
    const client = await connectClient(proxy.port);
    client.write(get('/', 'a.example.test'));
    await client.response();
    client.write(get('/', 'b.example.test'));
    const second = JSON.parse((await client.response()).body.toString());
    assert.equal(origin.connections, 1);
    assert.deepEqual(origin.snis, ['a.example.test']);
    assert.deepEqual(second, { sni: 'a.example.test', host: 'b.example.test', peer: null });
    assert.deepEqual(proxy.log.bound.map((b) => [b.reused, b.missReason]), [[false, undefined], [true, undefined]]);
    assert.equal(proxy.log.bound[0]!.poolKey, proxy.log.bound[1]!.poolKey);
  });

  it('keeps connections with different client certificates apart (client_cert_differs) and presents each', async () => {
    const clientA = pki().issue('proxy-a', { usage: 'clientAuth' });
    const clientB = pki().issue('proxy-b', { usage: 'clientAuth' });
    const origin = await startHttpsOrigin(['mtls.test'], whoAmI, { requestCert: true, ca: pki().ca.certPem });
    const peers: unknown[] = [];
    origin.server.on('secureConnection', (s: TLSSocket) => peers.push(s.getPeerCertificate().subject?.CN));
    const { pools } = recordingPools();
    const sni = { mode: 'literal' as const, name: 'mtls.test' };
    const ruleA = poolRule(origin.port, { sni, clientCert: { cert: clientA.cert, key: clientA.key } }, 0);
    const ruleB = poolRule(origin.port, { sni, clientCert: { cert: clientB.cert, key: clientB.key } }, 1);
    const a = await pools.acquire({ rule: ruleA, host: 'x' });
    pools.release(a.connection, true);
    const b = await pools.acquire({ rule: ruleB, host: 'x' });
    assert.equal(b.reused, false);
    assert.equal(b.missReason, 'client_cert_differs');
    pools.release(b.connection, true);
    const a2 = await pools.acquire({ rule: ruleA, host: 'x' });
    assert.equal(a2.reused, true);
    assert.equal(a2.connection.id, a.connection.id);
    // in TLS 1.3 the client finishes before the server has checked its certificate
    await until(() => peers.length === 2, 'the origin to accept both connections');
    assert.deepEqual(peers, ['proxy-a', 'proxy-b']);
    pools.close();
  });

  it('keeps connections with different verification policies apart (verify_differs)', async () => {
    const origin = await startHttpsOrigin(['v.test'], whoAmI);
    const { pools } = recordingPools();
    const sni = { mode: 'literal' as const, name: 'v.test' };
    const strict = poolRule(origin.port, { sni });
    const permissive = poolRule(origin.port, { sni, verify: { mode: 'permissive', ca: pki().ca.cert } }, 1);
    const a = await pools.acquire({ rule: strict, host: 'x' });
    pools.release(a.connection, true);
    const b = await pools.acquire({ rule: permissive, host: 'x' });
    assert.equal(b.missReason, 'verify_differs');
    pools.close();
  });

  it('keeps connections offering different ALPN lists apart (alpn_differs)', async () => {
    const origin = await startHttpsOrigin(['alpn.test'], whoAmI);
    const { pools } = recordingPools();
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'alpn.test' } });
    const a = await pools.acquire({ rule: r, host: 'x', alpn: 'http/1.1' });
    pools.release(a.connection, true);
    const b = await pools.acquire({ rule: r, host: 'x', alpn: 'h2,http/1.1' });
    assert.equal(b.missReason, 'alpn_differs');
    pools.close();
  });

  it('reports a permissive verification failure and connects; strict refuses; none stays silent', async () => {
    const origin = await startHttpsOrigin(['right.test'], whoAmI);
    const { pools, verifyFailures } = recordingPools();
    const sni = { mode: 'literal' as const, name: 'wrong.test' };
    const permissive = await pools.acquire({ rule: poolRule(origin.port, { sni, verify: { mode: 'permissive', ca: pki().ca.cert } }), host: 'x' });
    assert.equal(permissive.verifyError, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.deepEqual(verifyFailures, ['ERR_TLS_CERT_ALTNAME_INVALID']);
    await assert.rejects(pools.acquire({ rule: poolRule(origin.port, { sni }), host: 'x' }), (e: unknown) => e instanceof OriginError && e.code === 'verify_failed');
    // strict without a CA uses the system store, which does not trust the test CA
    await assert.rejects(pools.acquire({ rule: poolRule(origin.port, { sni: { mode: 'literal', name: 'right.test' }, verify: { mode: 'strict' } }), host: 'x' }), (e: unknown) => e instanceof OriginError && e.code === 'verify_failed');
    const none = await pools.acquire({ rule: poolRule(origin.port, { sni, verify: { mode: 'none' } }), host: 'x' });
    assert.equal(none.verifyError, undefined);
    assert.equal(verifyFailures.length, 1);
    pools.close();
  });

  it('waits for a connection at max_connections (pool_full) and refuses beyond the wait queue', async () => {
    const origin = await startHttpsOrigin(['q.test'], whoAmI);
    const { pools } = recordingPools({ maxQueuePerKey: 1 });
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'q.test' }, pool: { match: 'sni', maxIdle: 4, idleTimeoutMs: 30_000, maxConnections: 1 } });
    const first = await pools.acquire({ rule: r, host: 'x' });
    const waiting = pools.acquire({ rule: r, host: 'x' });
    await assert.rejects(pools.acquire({ rule: r, host: 'x' }), (e: unknown) => e instanceof OriginError && e.code === 'pool_full');
    pools.release(first.connection, true);
    const second = await waiting;
    assert.equal(second.reused, true);
    assert.equal(second.missReason, 'pool_full');
    assert.equal(second.connection.id, first.connection.id);
    await until(() => origin.connections === 1, 'the origin to accept');
    assert.equal(origin.connections, 1);
    pools.close();
  });

  it('gives up waiting after timeouts.connect (queue_timeout)', async () => {
    const origin = await startHttpsOrigin(['q.test'], whoAmI);
    const { pools } = recordingPools();
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'q.test' }, pool: { match: 'sni', maxIdle: 4, idleTimeoutMs: 30_000, maxConnections: 1 }, timeouts: { connectMs: 100, responseMs: 1000 } });
    await pools.acquire({ rule: r, host: 'x' });
    await assert.rejects(pools.acquire({ rule: r, host: 'x' }), (e: unknown) => e instanceof OriginError && e.code === 'queue_timeout');
    pools.close();
  });

  it('answers 503 through the proxy when the wait queue is full', async () => {
    const origin = await startRawOrigin(() => undefined); // never answers: the one connection stays busy
    const r = rule(`http://127.0.0.1:${origin.port}`, { pool: { match: 'sni', maxIdle: 4, idleTimeoutMs: 30_000, maxConnections: 1 }, timeouts: { connectMs: 5000, responseMs: 5000 } });
    const proxy = await startProxy({ route: () => ({ kind: 'origin', rule: r }), poolOptions: { maxQueuePerKey: 0 } });
    const busy = await connectClient(proxy.port);
    busy.write(get('/hold'));
    await until(() => proxy.log.bound.length === 1, 'the first request to hold the only connection');
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    assert.equal((await client.response()).status, 503);
    assert.equal(proxy.log.originErrors[0]!.code, 'pool_full');
  });

  it('drops an idle connection the origin closed instead of handing it out', async () => {
    const origin = await startHttpsOrigin(['idle.test'], whoAmI);
    const { pools, closedWith } = recordingPools();
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'idle.test' } });
    const a = await pools.acquire({ rule: r, host: 'x' });
    pools.release(a.connection, true);
    assert.equal(pools.stats().idle, 1);
    await until(() => origin.sockets.length === 1, 'the origin to accept');
    for (const s of origin.sockets) s.destroy();
    await closedWith('origin_closed');
    assert.equal(pools.stats().idle, 0);
    const b = await pools.acquire({ rule: r, host: 'x' });
    assert.equal(b.reused, false);
    assert.notEqual(b.connection.id, a.connection.id);
    pools.close();
  });

  it('closes idle connections after idle_timeout and keeps at most max_idle', async () => {
    const origin = await startHttpsOrigin(['idle.test'], whoAmI);
    const { pools, closed, closedWith } = recordingPools();
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'idle.test' }, pool: { match: 'sni', maxIdle: 1, idleTimeoutMs: 150, maxConnections: 8 } });
    const a = await pools.acquire({ rule: r, host: 'x' });
    const b = await pools.acquire({ rule: r, host: 'x' });
    pools.release(a.connection, true);
    pools.release(b.connection, true);
    await closedWith('max_idle');
    assert.deepEqual(closed.find((c) => c.reason === 'max_idle')?.id, b.connection.id);
    await closedWith('idle_timeout');
    assert.equal(pools.stats().open, 0);
    pools.close();
  });

  it('resumes TLS sessions per pool key and never under another SNI', async () => {
    const origin = await startHttpsOrigin(['*.example.test'], whoAmI);
    const r = poolRule(origin.port);
    const proxy = await startProxy({ route: () => ({ kind: 'origin', rule: r }) });
    const client = await connectClient(proxy.port);
    client.write(get('/', 'a.example.test'));
    await client.response();
    await until(() => proxy.pools.sessions.size > 0, 'a TLS session from the origin');
    // the origin drops the connection; the next request must open a new one, resuming
    for (const s of origin.sockets) s.destroy();
    await until(() => proxy.pools.stats().open === 0, 'the pool to see the close');
    client.write(get('/', 'a.example.test'));
    await client.response();
    client.write(get('/', 'b.example.test'));
    await client.response();
    assert.deepEqual(proxy.log.bound.map((b) => [b.sni, b.reused, b.resumed]), [
      ['a.example.test', false, false],
      ['a.example.test', false, true],
      ['b.example.test', false, false],
    ]);
  });

  it('fails a connection to an origin that requires a client certificate when none is configured', async () => {
    const origin = await startHttpsOrigin(['mtls.test'], whoAmI, { requestCert: true, ca: pki().ca.certPem });
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'mtls.test' } });
    const proxy = await startProxy({ route: () => ({ kind: 'origin', rule: r }) });
    const client = await connectClient(proxy.port);
    client.write(get('/'));
    const res = await client.response();
    // TLS 1.3: the origin refuses after the client's Finished, on the first request
    assert.equal(res.status, 502);
    assert.ok(['tls_failed', 'origin_reset', 'origin_closed'].includes(proxy.log.originErrors[0]!.code), proxy.log.originErrors[0]!.code);
  });

  it('closes the pool: idle connections end and new acquisitions are refused', async () => {
    const origin = await startHttpsOrigin(['c.test'], whoAmI);
    const { pools, closedWith } = recordingPools();
    const r = poolRule(origin.port, { sni: { mode: 'literal', name: 'c.test' } });
    const a = await pools.acquire({ rule: r, host: 'x' });
    pools.release(a.connection, true);
    pools.close();
    await closedWith('pool_closed');
    await assert.rejects(pools.acquire({ rule: r, host: 'x' }), (e: unknown) => e instanceof OriginError && e.code === 'closed');
  });
});
