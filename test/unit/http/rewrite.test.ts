import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OriginRule } from '../../../adapters/config/model.js';
import { parseRequestHead, type RequestHead } from '../../../adapters/http/h1/request-head.js';
import { parseResponseHead, type ResponseHead } from '../../../adapters/http/h1/response-head.js';
import { clientAddressOf, forwardRequestHead, forwardResponseHead, originAuthority } from '../../../adapters/http/proxy/rewrite.js';

function rule(to: string, overrides: Partial<OriginRule> = {}): OriginRule {
  const url = new URL(to);
  return {
    index: 0,
    match: { pathPrefix: '/' },
    to: {
      url: to,
      protocol: url.protocol as 'http:' | 'https:',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
      basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    },
    sni: { mode: 'preserve' },
    hostHeader: 'preserve',
    verify: { mode: 'strict' },
    protocols: ['http/1.1'],
    pool: { match: 'sni', maxIdle: 8, idleTimeoutMs: 1000, maxConnections: 8 },
    timeouts: { connectMs: 1000, responseMs: 1000 },
    ...overrides,
  };
}

const ctx = { clientAddress: '192.0.2.7', proto: 'https', via: '1.1 tlsedge' };

function req(text: string): RequestHead {
  const head = parseRequestHead(Buffer.from(text, 'latin1'), { maxHeadBytes: 8192 });
  assert.ok(head);
  return head;
}

function res(text: string, headRequest = false): ResponseHead {
  const head = parseResponseHead(Buffer.from(text, 'latin1'), { headRequest, maxHeadBytes: 8192 });
  assert.ok(head);
  return head;
}

function lines(buf: Buffer): string[] {
  const text = buf.toString('latin1');
  assert.ok(text.endsWith('\r\n\r\n'), 'head ends with an empty line');
  return text.slice(0, -4).split('\r\n');
}

describe('forwardRequestHead', () => {
  it('removes hop-by-hop fields and the fields Connection names', () => {
    const out = lines(
      forwardRequestHead(
        req('GET /p HTTP/1.1\r\nHost: app.test\r\nConnection: keep-alive, X-Secret-Hop\r\nKeep-Alive: timeout=5\r\nX-Secret-Hop: 1\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nAccept: */*\r\n\r\n'),
        rule('http://127.0.0.1:8080'),
        ctx,
      ),
    );
    assert.deepEqual(out, ['GET /p HTTP/1.1', 'Host: app.test', 'Accept: */*', 'X-Forwarded-For: 192.0.2.7', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: app.test', 'Via: 1.1 tlsedge']);
  });

  it('appends the client to X-Forwarded-For and overrides client-sent X-Forwarded-Proto and -Host', () => {
    const out = lines(
      forwardRequestHead(
        req('GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.1\r\nHost: app.test\r\nX-Forwarded-For: 203.0.113.2, 203.0.113.3\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: evil.test\r\n\r\n'),
        rule('http://127.0.0.1:8080'),
        ctx,
      ),
    );
    assert.ok(out.includes('X-Forwarded-For: 203.0.113.1, 203.0.113.2, 203.0.113.3, 192.0.2.7'));
    assert.ok(out.includes('X-Forwarded-Proto: https'));
    assert.ok(out.includes('X-Forwarded-Host: app.test'));
    assert.equal(out.filter((l) => l.toLowerCase().startsWith('x-forwarded-')).length, 3);
  });

  it('sends Host per host_header and prefixes the to-URL path', () => {
    const r = req('GET /x?y=1 HTTP/1.1\r\nHost: app.test:8443\r\n\r\n');
    assert.deepEqual(lines(forwardRequestHead(r, rule('https://origin.internal:9443/base/'), ctx)).slice(0, 2), ['GET /base/x?y=1 HTTP/1.1', 'Host: app.test:8443']);
    assert.equal(lines(forwardRequestHead(r, rule('https://origin.internal:9443', { hostHeader: 'origin' }), ctx))[1], 'Host: origin.internal:9443');
    assert.equal(lines(forwardRequestHead(r, rule('https://origin.internal', { hostHeader: 'origin' }), ctx))[1], 'Host: origin.internal');
  });

  it('re-emits framing in one canonical form', () => {
    const chunked = lines(forwardRequestHead(req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding:  CHUNKED \r\n\r\n'), rule('http://o'), ctx));
    assert.deepEqual(chunked.filter((l) => /^transfer-encoding/i.test(l)), ['Transfer-Encoding: gzip, chunked']);
    const length = lines(forwardRequestHead(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\nContent-Length: 7\r\n\r\n'), rule('http://o'), ctx));
    assert.deepEqual(length.filter((l) => /^content-length/i.test(l)), ['Content-Length: 7']);
  });

  it('keeps Connection: Content-Length from stripping the framing (smuggling through hop-by-hop)', () => {
    const out = lines(forwardRequestHead(req('POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length, Host\r\nContent-Length: 4\r\n\r\n'), rule('http://o'), ctx));
    assert.ok(out.includes('Content-Length: 4'));
    assert.ok(out.includes('Host: a'));
  });

  it('keeps Upgrade and sends Connection: upgrade for an upgrade request', () => {
    const out = lines(forwardRequestHead(req('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n'), rule('http://o'), ctx));
    assert.ok(out.includes('Upgrade: websocket'));
    assert.ok(out.includes('Connection: upgrade'));
    assert.ok(out.includes('Sec-WebSocket-Key: k'));
  });

  it('keeps an HTTP/1.0 request at HTTP/1.0', () => {
    assert.equal(lines(forwardRequestHead(req('GET / HTTP/1.0\r\n\r\n'), rule('http://o:81'), ctx))[0], 'GET / HTTP/1.0');
    assert.equal(lines(forwardRequestHead(req('GET / HTTP/1.0\r\n\r\n'), rule('http://o:81'), ctx))[1], 'Host: o:81');
  });

  it('forwards field values with obs-text bytes unchanged', () => {
    const out = forwardRequestHead(req('GET / HTTP/1.1\r\nHost: a\r\nX-Latin: caf\xe9\r\n\r\n'), rule('http://o'), ctx);
    assert.ok(out.includes(Buffer.from('X-Latin: caf\xe9\r\n', 'latin1')));
  });
});

describe('forwardResponseHead', () => {
  const fw = { close: false, keepAliveFor10: false, switching: false, via: '1.1 tlsedge' };

  it('always answers HTTP/1.1 with the origin status line and drops hop-by-hop fields', () => {
    const out = lines(forwardResponseHead(res('HTTP/1.0 200 Fine Thanks\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 3\r\nServer: o\r\n\r\n'), fw));
    assert.deepEqual(out, ['HTTP/1.1 200 Fine Thanks', 'Server: o', 'Content-Length: 3', 'Via: 1.1 tlsedge']);
  });

  it('says Connection: close when the client connection will close', () => {
    const out = lines(forwardResponseHead(res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), { ...fw, close: true }));
    assert.ok(out.includes('Connection: close'));
    assert.ok(out.includes('Transfer-Encoding: chunked'));
  });

  it('passes framing fields of bodiless responses through unchanged', () => {
    const out = lines(forwardResponseHead(res('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', true), fw));
    assert.ok(out.includes('Content-Length: 1234'));
    const notModified = lines(forwardResponseHead(res('HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nETag: "x"\r\n\r\n'), fw));
    assert.ok(notModified.includes('Content-Length: 99'));
  });

  it('relays an interim response without Via or Connection', () => {
    assert.deepEqual(lines(forwardResponseHead(res('HTTP/1.1 100 Continue\r\n\r\n'), fw)), ['HTTP/1.1 100 Continue']);
  });

  it('keeps Upgrade on a 101 and says Connection: upgrade', () => {
    const out = lines(forwardResponseHead(res('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: z\r\n\r\n'), { ...fw, switching: true }));
    assert.deepEqual(out, ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Sec-WebSocket-Accept: z', 'Connection: upgrade', 'Via: 1.1 tlsedge']);
  });
});

describe('addresses', () => {
  it('formats the origin authority with brackets and non-default ports only', () => {
    assert.equal(originAuthority(rule('https://[::1]:8443')), '[::1]:8443');
    assert.equal(originAuthority(rule('http://o.test:80')), 'o.test');
  });

  it('unmaps IPv4-mapped client addresses', () => {
    assert.equal(clientAddressOf('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientAddressOf('2001:db8::1'), '2001:db8::1');
  });
});
