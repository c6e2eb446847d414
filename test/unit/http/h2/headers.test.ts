import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OriginRule } from '../../../../adapters/config/model.js';
import { h1RequestHead, h2RequestHeaders, h2ResponseFromH1, hostOf, type H2ForwardContext, type H2Request } from '../../../../adapters/http/h2/headers.js';
import { parseRequestHead } from '../../../../adapters/http/h1/request-head.js';
import { parseResponseHead } from '../../../../adapters/http/h1/response-head.js';

function rule(to: string, overrides: Partial<OriginRule> = {}): OriginRule {
  const url = new URL(to);
  return {
    index: 0,
    match: { pathPrefix: '/' },
    to: { url: to, protocol: url.protocol as 'http:' | 'https:', host: url.hostname, port: Number(url.port) || 443, basePath: url.pathname === '/' ? '' : url.pathname },
    sni: { mode: 'preserve' },
    hostHeader: 'preserve',
    verify: { mode: 'strict' },
    protocols: ['http/1.1'],
    pool: { match: 'sni', maxIdle: 8, idleTimeoutMs: 1000, maxConnections: 8 },
    timeouts: { connectMs: 1000, responseMs: 1000 },
    ...overrides,
  };
}

const ctx: H2ForwardContext = { clientAddress: '192.0.2.7', proto: 'https', via: '2 tlsedge', clientCertFields: [['x-client-cert-verified', 'SUCCESS']] };

const request = (headers: Record<string, string | string[]>): H2Request => ({
  method: 'POST',
  path: '/p?q=1',
  authority: 'app.test:8443',
  headers: { ':method': 'POST', ':path': '/p?q=1', ':authority': 'app.test:8443', ':scheme': 'https', ...headers },
});

describe('h2 request → HTTP/1.1 head', () => {
  it('writes a head our own strict parser accepts, with Host from :authority and canonical framing', () => {
    const head = h1RequestHead(request({ 'content-type': 'text/plain', cookie: 'a=1; b=2', 'x-forwarded-for': '10.0.0.1' }), rule('https://10.0.0.5:8444/base'), ctx, { kind: 'chunked' });
    const parsed = parseRequestHead(head, { maxHeadBytes: 65536 })!;
    assert.equal(parsed.end, head.length);
    assert.deepEqual([parsed.method, parsed.path, parsed.authority, parsed.body], ['POST', '/base/p?q=1', 'app.test:8443', 'chunked']);
    assert.equal(parsed.header('cookie'), 'a=1; b=2');
    assert.equal(parsed.header('x-forwarded-for'), '10.0.0.1, 192.0.2.7');
    assert.equal(parsed.header('x-forwarded-host'), 'app.test:8443');
    assert.equal(parsed.header('via'), '2 tlsedge');
  });

  // (h2 field names are lowercase on the wire, RFC 9113 §8.2.1; nghttp2 refuses others)
  it('never forwards pseudo-headers, hop-by-hop fields or a client’s own X-Client-Cert-* fields', () => {
    const head = h1RequestHead(request({ te: 'trailers', 'x-client-cert-subject': 'CN=admin', 'x-client-cert-verified': 'SUCCESS', 'content-length': '5', 'x-forwarded-proto': 'http' }), rule('https://o.test'), ctx, { kind: 'length', length: 5 }).toString('latin1');
    assert.doesNotMatch(head, /^:|\r\n:/);
    assert.doesNotMatch(head, /\r\nte:/i);
    assert.doesNotMatch(head, /CN=admin/);
    assert.equal(head.match(/x-client-cert-verified: SUCCESS/gi)?.length, 1, 'only tlsedge’s own value');
    assert.equal(head.match(/content-length/gi)?.length, 1);
    assert.match(head, /X-Forwarded-Proto: https\r\n/);
  });

  it('uses the origin authority with host_header: origin', () => {
    const head = h1RequestHead(request({}), rule('https://origin.internal:9443', { hostHeader: 'origin' }), ctx, { kind: 'none' }).toString('latin1');
    assert.match(head, /^POST \/p\?q=1 HTTP\/1\.1\r\nHost: origin\.internal:9443\r\n/);
  });
});

describe('h2 request → h2 origin headers', () => {
  it('keeps TE only as "trailers" and sets the pseudo-headers for the origin', () => {
    const out = h2RequestHeaders(request({ te: 'trailers, deflate', 'x-client-cert-san': 'DNS:evil' }), rule('https://o.test:8443/v1'), ctx);
    assert.deepEqual([out[':method'], out[':path'], out[':authority'], out[':scheme'], out.te], ['POST', '/v1/p?q=1', 'app.test:8443', 'https', 'trailers']);
    assert.equal(out['x-client-cert-san'], undefined);
    assert.equal(out['x-client-cert-verified'], 'SUCCESS');
  });
});

describe('HTTP/1.1 response → h2 headers', () => {
  const parse = (text: string, head = false) => parseResponseHead(Buffer.from(text, 'latin1'), { headRequest: head, maxHeadBytes: 65536 })!;

  it('drops connection-specific fields and those Connection names; keeps Set-Cookie apart', () => {
    const out = h2ResponseFromH1(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive, x-secret\r\nKeep-Alive: timeout=5\r\nX-Secret: 1\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nCache-Control: no-cache\r\nCache-Control: private\r\nVia: 1.1 upstream\r\n\r\n'), '1.1 tlsedge');
    assert.deepEqual(out, { ':status': 200, 'set-cookie': ['a=1', 'b=2'], 'cache-control': 'no-cache, private', via: '1.1 upstream, 1.1 tlsedge' });
  });

  it('keeps the length of a length-delimited body (canonical value) and of a HEAD answer, not of a chunked one', () => {
    assert.equal(h2ResponseFromH1(parse('HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n'), 'v')['content-length'], '5');
    assert.equal(h2ResponseFromH1(parse('HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n', true), 'v')['content-length'], '42');
    assert.equal(h2ResponseFromH1(parse('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n'), 'v')['content-length'], undefined);
  });

  it('takes the host out of an authority', () => {
    assert.deepEqual(['App.Test:8443', '[::1]:8443', 'a.test', '[fe80::1]'].map(hostOf), ['app.test', '::1', 'a.test', 'fe80::1']);
  });
});
