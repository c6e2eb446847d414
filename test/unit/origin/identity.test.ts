import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OriginRule } from '../../../adapters/config/model.js';
import { differenceOf, poolKeyOf, shortKeyOf, type OriginIdentity } from '../../../adapters/origin/identity.js';
import { OriginTargets, sniFor } from '../../../adapters/origin/target.js';

const base: OriginIdentity = {
  protocol: 'https:',
  host: 'origin.test',
  address: '192.0.2.10',
  port: 443,
  sni: 'a.example.test',
  clientCert: 'AA:BB',
  verify: 'strict:system',
  alpn: 'http/1.1',
};

function rule(to: string, overrides: Partial<OriginRule> = {}): OriginRule {
  const url = new URL(to);
  return {
    index: 0,
    match: { pathPrefix: '/' },
    to: { url: to, protocol: url.protocol as 'http:' | 'https:', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), basePath: '' },
    sni: { mode: 'preserve' },
    hostHeader: 'preserve',
    verify: { mode: 'none' },
    protocols: ['http/1.1'],
    pool: { match: 'sni', maxIdle: 8, idleTimeoutMs: 1000, maxConnections: 8 },
    timeouts: { connectMs: 1000, responseMs: 1000 },
    ...overrides,
  };
}

describe('pool keys', () => {
  it('separate every identity property in sni mode', () => {
    const key = poolKeyOf(base, 'sni');
    for (const change of [{ sni: 'b.example.test' }, { clientCert: 'CC:DD' }, { verify: 'permissive:system' }, { alpn: 'h2' }, { address: '192.0.2.11' }, { port: 8443 }]) {
      assert.notEqual(poolKeyOf({ ...base, ...change }, 'sni'), key, JSON.stringify(change));
    }
  });

  it('use origin host name and port in host mode', () => {
    assert.equal(poolKeyOf(base, 'host'), poolKeyOf({ ...base, sni: 'other.test', clientCert: '', address: '192.0.2.99' }, 'host'));
    assert.notEqual(poolKeyOf(base, 'host'), poolKeyOf({ ...base, host: 'other-origin.test' }, 'host'));
  });

  it('use resolved address and port in ip and lax modes', () => {
    for (const mode of ['ip', 'lax'] as const) {
      assert.equal(poolKeyOf(base, mode), poolKeyOf({ ...base, sni: 'b.example.test', host: 'alias.test', clientCert: '' }, mode));
      assert.notEqual(poolKeyOf(base, mode), poolKeyOf({ ...base, address: '192.0.2.11' }, mode));
    }
  });

  it('label keys with a short hash that does not contain the key', () => {
    const short = shortKeyOf(poolKeyOf(base, 'sni'));
    assert.match(short, /^[A-Za-z0-9_-]{12}$/);
    assert.equal(short, shortKeyOf(poolKeyOf(base, 'sni')));
    assert.notEqual(short, shortKeyOf(poolKeyOf({ ...base, sni: 'b.example.test' }, 'sni')));
  });
});

describe('differenceOf', () => {
  it('names the first differing property in sni, certificate, verify, alpn, host order', () => {
    assert.equal(differenceOf(base, { ...base, sni: 'x', clientCert: 'y' }), 'sni_differs');
    assert.equal(differenceOf(base, { ...base, clientCert: 'y', verify: 'none' }), 'client_cert_differs');
    assert.equal(differenceOf(base, { ...base, verify: 'none' }), 'verify_differs');
    assert.equal(differenceOf(base, { ...base, alpn: 'h2' }), 'alpn_differs');
    assert.equal(differenceOf(base, { ...base, host: 'alias.test' }), 'host_differs');
    assert.equal(differenceOf(base, { ...base }), undefined);
  });
});

describe('sniFor', () => {
  it('sends the request host under preserve, the to-URL host under origin, a literal name otherwise', () => {
    assert.equal(sniFor(rule('https://backend.internal'), 'www.example.test'), 'www.example.test');
    assert.equal(sniFor(rule('https://backend.internal', { sni: { mode: 'origin' } }), 'www.example.test'), 'backend.internal');
    assert.equal(sniFor(rule('https://backend.internal', { sni: { mode: 'literal', name: 'fixed.test' } }), 'www.example.test'), 'fixed.test');
  });

  it('lets the route override the mode', () => {
    assert.equal(sniFor(rule('https://backend.internal'), 'www.example.test', 'chosen.test'), 'chosen.test');
  });

  it('sends no SNI to plain http origins or for IP literals (RFC 6066 §3)', () => {
    assert.equal(sniFor(rule('http://backend.internal'), 'www.example.test'), undefined);
    assert.equal(sniFor(rule('https://127.0.0.1', { sni: { mode: 'origin' } }), 'x'), undefined);
    assert.equal(sniFor(rule('https://backend.internal'), '::1'), undefined);
    assert.equal(sniFor(rule('https://backend.internal'), ''), undefined);
  });
});

describe('OriginTargets', () => {
  it('builds targets without I/O for IP-literal origins and caches them', () => {
    const targets = new OriginTargets();
    const r = rule('http://127.0.0.1:8080');
    const t = targets.cached(r, undefined, 'http/1.1');
    assert.ok(t);
    assert.equal(t.identity.address, '127.0.0.1');
    assert.equal(t.identity.alpn, '', 'no ALPN on plain http');
    assert.equal(t.identity.verify, 'none');
    assert.equal(targets.cached(r, undefined, 'http/1.1'), t);
  });

  it('gives two SNIs two pool keys in sni mode and one in ip mode, with one TLS session key each', () => {
    const targets = new OriginTargets();
    const sni = rule('https://127.0.0.1:9443');
    const a = targets.cached(sni, 'a.example.test', 'http/1.1')!;
    const b = targets.cached(sni, 'b.example.test', 'http/1.1')!;
    assert.notEqual(a.poolKey, b.poolKey);
    const ip = rule('https://127.0.0.1:9443', { pool: { match: 'ip', maxIdle: 8, idleTimeoutMs: 1000, maxConnections: 8 } });
    const c = targets.cached(ip, 'a.example.test', 'http/1.1')!;
    const d = targets.cached(ip, 'b.example.test', 'http/1.1')!;
    assert.equal(c.poolKey, d.poolKey);
    assert.notEqual(c.sessionKey, d.sessionKey, 'TLS sessions never cross SNI, even in ip mode');
    assert.equal(c.verifyName, 'a.example.test');
  });

  it('needs a lookup before a host name origin has a target', async () => {
    const targets = new OriginTargets();
    const r = rule('http://localhost:8080');
    assert.equal(targets.cached(r, undefined, 'http/1.1'), undefined);
    const t = await targets.get(r, undefined, 'http/1.1');
    assert.ok(t.identity.address === '127.0.0.1' || t.identity.address === '::1');
    assert.equal(t.identity.host, 'localhost');
    assert.ok(targets.cached(r, undefined, 'http/1.1'));
  });
});
