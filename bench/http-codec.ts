// Micro-benchmark of the HTTP/1.1 request path's CPU work per request without sockets: parse a
// typical request head, rewrite it for the origin, parse the response head, rewrite it for the
// client, frame the body. Prints ns per request for each step and for the whole.
//   npx tsx bench/http-codec.ts [iterations]
import type { OriginRule } from '../adapters/config/model.js';
import { BodyFramer } from '../adapters/http/h1/body-framer.js';
import { parseRequestHead } from '../adapters/http/h1/request-head.js';
import { parseResponseHead } from '../adapters/http/h1/response-head.js';
import { forwardRequestHead, forwardResponseHead } from '../adapters/http/proxy/rewrite.js';

const iterations = Number(process.argv[2] ?? 500_000);

const request = Buffer.from(
  'GET /api/v1/items?page=2&sort=desc HTTP/1.1\r\n' +
    'Host: app.example.test\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
    'Accept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Cookie: session=abcdef0123456789; theme=dark\r\n' +
    'Connection: keep-alive\r\n' +
    'Cache-Control: no-cache\r\n\r\n',
  'latin1',
);
const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 20:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nConnection: keep-alive\r\nETag: "abc"\r\n\r\n' + 'x'.repeat(100),
  'latin1',
);

const rule: OriginRule = {
  index: 0,
  match: { pathPrefix: '/' },
  to: { url: 'http://127.0.0.1:8080', protocol: 'http:', host: '127.0.0.1', port: 8080, basePath: '' },
  sni: { mode: 'preserve' },
  hostHeader: 'preserve',
  verify: { mode: 'strict' },
  protocols: ['http/1.1'],
  pool: { match: 'sni', maxIdle: 64, idleTimeoutMs: 30_000, maxConnections: 1024 },
  timeouts: { connectMs: 5000, responseMs: 30_000 },
};
const ctx = { clientAddress: '192.0.2.1', proto: 'https', via: '1.1 tlsedge' };
const fw = { close: false, keepAliveFor10: false, switching: false, via: '1.1 tlsedge' };
const limits = { maxHeadBytes: 16_384 };
const resCtx = { headRequest: false, maxHeadBytes: 65_536 };
const framer = new BodyFramer();

function time(name: string, fn: () => void): number {
  for (let i = 0; i < iterations / 10; i++) fn(); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(28)} ${ns.toFixed(0).padStart(6)} ns/request`);
  return ns;
}

let sink = 0;
const req = parseRequestHead(request, limits)!;
const res = parseResponseHead(response, resCtx)!;
time('parse request head', () => {
  sink += parseRequestHead(request, limits)!.end;
});
time('rewrite request head', () => {
  sink += forwardRequestHead(req, rule, ctx).length;
});
time('parse response head', () => {
  sink += parseResponseHead(response, resCtx)!.end;
});
time('rewrite response head', () => {
  sink += forwardResponseHead(res, fw).length;
});
const total = time('whole request path (codec)', () => {
  const q = parseRequestHead(request, limits)!;
  sink += forwardRequestHead(q, rule, ctx).length;
  const r = parseResponseHead(response, resCtx)!;
  sink += forwardResponseHead(r, fw).length;
  framer.reset(r.body, r.contentLength, 'response');
  sink += framer.scan(response, r.end, response.length);
});
console.log(`codec share of nginx's ~46 µs per proxied request: ${((total / 46_000) * 100).toFixed(1)}%  (sink ${sink % 10})`);
