import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { missingTools } from '../../support/requirements.js';
import { closeAll, connectClient, get, pki, rule, startHttpOrigin, startHttpsOrigin, startProxy, startRawOrigin, type ProxyUnderTest } from './support/harness.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Origin: echoes method, url and a few request fields as JSON; `/bytes/<n>` sends n deterministic bytes. */
function echoHandler(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const n = Number(m[1]);
      res.setHeader('content-length', n);
      res.end(deterministic(n));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        host: req.headers.host,
        xff: req.headers['x-forwarded-for'],
        proto: req.headers['x-forwarded-proto'],
        xfh: req.headers['x-forwarded-host'],
        via: req.headers.via,
        te: req.headers['transfer-encoding'],
        connection: req.headers.connection,
        bodyLength: body.length,
        bodySha: sha256(body),
        trailers: req.trailers,
      }),
    );
  });
}

function deterministic(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

async function proxyTo(to: string, limits = {}, overrides = {}): Promise<ProxyUnderTest> {
  const r = rule(to, overrides);
  return startProxy({ route: (req) => (req.path.startsWith('/nowhere') ? { kind: 'not_found' } : req.host === 'other.test' ? { kind: 'misdirected' } : { kind: 'origin', rule: r }), limits });
}

describe('serveHttp1', { skip: missingTools('openssl') }, () => {
  after(closeAll);

  it('serves many keep-alive requests over one origin connection', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    for (let i = 0; i < 20; i++) {
      client.write(get(`/r${i}`));
      const res = await client.response();
      assert.equal(res.status, 200);
      const seen = JSON.parse(res.body.toString());
      assert.equal(seen.url, `/r${i}`);
      assert.equal(seen.host, 'app.test');
      assert.equal(seen.xff, '127.0.0.1');
      assert.equal(seen.proto, 'https');
      assert.equal(seen.xfh, 'app.test');
      assert.equal(seen.via, '1.1 tlsedge');
      assert.equal(res.header('via'), '1.1 tlsedge');
      assert.equal(res.header('keep-alive'), undefined, 'hop-by-hop response fields are removed');
    }
    assert.equal(origin.connections, 1);
    assert.equal(proxy.log.bound.length, 20);
    assert.equal(proxy.log.bound[0]!.reused, false);
    assert.ok(proxy.log.bound.slice(1).every((b) => b.reused && b.originConnectionId === proxy.log.bound[0]!.originConnectionId));
    // a second client connection reuses the same pooled origin connection
    const second = await connectClient(proxy.port);
    second.write(get('/again'));
    assert.equal((await second.response()).status, 200);
    assert.equal(origin.connections, 1);
    const last = proxy.log.responses.at(-1)!;
    assert.equal(last.status, 200);
    assert.equal(last.local, false);
    assert.ok(last.requestBytes > 0 && last.responseBytes > 0);
    assert.ok(last.responseHeadMs >= 0 && last.totalMs >= last.responseHeadMs);
  });

  it('streams 8 MiB bodies both ways intact', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    const upload = randomBytes(8 * 1024 * 1024);
    client.write(`POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${upload.length}\r\n\r\n`);
    client.write(upload);
    const up = JSON.parse((await client.response()).body.toString());
    assert.equal(up.bodyLength, upload.length);
    assert.equal(up.bodySha, sha256(upload));
    client.write(get(`/bytes/${8 * 1024 * 1024}`));
    const down = await client.response();
    assert.equal(down.body.length, 8 * 1024 * 1024);
    assert.equal(sha256(down.body), sha256(deterministic(8 * 1024 * 1024)));
    assert.equal(origin.connections, 1);
  });

  it('streams a body echoed while it is being uploaded (backpressure both ways)', async () => {
    const origin = await startHttpOrigin((req, res) => {
      res.setHeader('content-type', 'application/octet-stream');
      req.pipe(res);
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    const body = randomBytes(4 * 1024 * 1024);
    client.write(`PUT /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n`);
    for (let off = 0; off < body.length; off += 65_536) {
      const part = body.subarray(off, off + 65_536);
      client.write(`${part.length.toString(16)}\r\n`);
      client.write(part);
      client.write('\r\n');
    }
    client.write('0\r\n\r\n');
    const res = await client.response();
    assert.equal(res.header('transfer-encoding'), 'chunked');
    assert.equal(sha256(res.body), sha256(body));
    client.write(get('/after'));
    assert.equal((await client.response()).status, 200, 'the connection is still usable');
  });

  it('forwards chunked bodies with extensions and trailers unchanged, both ways', async () => {
    let receivedRaw = '';
    const origin = await startRawOrigin((socket) => {
      socket.on('data', (d: Buffer) => {
        receivedRaw += d.toString('latin1');
        if (receivedRaw.endsWith('X-Sum: 42\r\n\r\n')) {
          socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Done\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Done: yes\r\n\r\n');
        }
      });
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    const chunkedBody = '4;name="v"\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Sum: 42\r\n\r\n';
    client.write(`POST /c HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedBody}`);
    const res = await client.response();
    assert.equal(res.body.toString(), 'abcde');
    assert.ok(receivedRaw.endsWith(`\r\n\r\n${chunkedBody}`), 'request body bytes arrive unchanged');
    assert.match(receivedRaw, /\r\nTransfer-Encoding: chunked\r\n/);
  });

  it('relays 100 Continue before the client sends its body', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write('PUT /e HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    const interim = await client.response();
    assert.equal(interim.status, 100);
    client.write('hello');
    const final = await client.response();
    assert.equal(final.status, 200);
    assert.equal(JSON.parse(final.body.toString()).bodyLength, 5);
  });

  it('closes after a final answer to a 100-continue request whose body was never sent', async () => {
    const origin = await startHttpOrigin((_req, res) => res.end('unused'));
    // answer the expectation with a final status instead of 100 (RFC 9110 §10.1.1)
    origin.server.on('checkContinue', (_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 413;
      res.end('too big');
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write('PUT /e HTTP/1.1\r\nHost: app.test\r\nExpect: 100-continue\r\nContent-Length: 500000\r\n\r\n');
    const res = await client.response();
    assert.equal(res.status, 413);
    assert.equal(res.header('connection'), 'close');
    await client.closed();
  });

  it('ends HEAD, 204 and 304 responses without a body and keeps the connection', async () => {
    const origin = await startHttpOrigin((req, res) => {
      if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
      else res.writeHead(200, { 'content-length': 11 }).end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write('HEAD /h HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const head = await client.response({ head: true });
    assert.equal(head.status, 200);
    assert.equal(head.header('content-length'), '11');
    client.write(get('/204'));
    assert.equal((await client.response()).status, 204);
    client.write(get('/304'));
    assert.equal((await client.response()).status, 304);
    client.write(get('/full'));
    const full = await client.response();
    assert.equal(full.body.toString(), 'hello world');
    assert.equal(origin.connections, 1);
  });

  it('answers pipelined requests in order', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/one') + 'POST /two HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc' + get('/nowhere') + get('/four'));
    assert.equal(JSON.parse((await client.response()).body.toString()).url, '/one');
    const two = JSON.parse((await client.response()).body.toString());
    assert.equal(two.url, '/two');
    assert.equal(two.bodyLength, 3);
    assert.equal((await client.response()).status, 404);
    assert.equal(JSON.parse((await client.response()).body.toString()).url, '/four');
  });

  it('turns a 101 into a raw bidirectional tunnel (WebSocket-style echo)', async () => {
    const origin = await startHttpOrigin((_req, res) => res.end('no'));
    origin.server.on('upgrade', (req: IncomingMessage, socket: import('node:net').Socket, head: Buffer) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n`);
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    // bytes sent right behind the upgrade request belong to the new protocol
    client.write('GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly');
    const res = await client.response({ head: true });
    assert.equal(res.status, 101);
    assert.equal(res.header('upgrade'), 'echo');
    assert.equal((await client.read(5)).toString(), 'early');
    for (const msg of ['ping', 'x'.repeat(100_000), 'bye']) {
      client.write(msg);
      assert.equal((await client.read(msg.length)).toString(), msg);
    }
    client.socket.end();
    const [summary] = await proxy.summaries(1);
    assert.equal(summary!.reason, 'upgraded');
    const tunnel = proxy.log.responses.find((r) => r.upgraded);
    assert.ok(tunnel && tunnel.status === 101 && tunnel.requestBytes > 100_000);
  });

  it('answers 502 when the origin refuses the connection', async () => {
    const dead = await startRawOrigin(() => undefined);
    const port = dead.port;
    dead.server.close();
    await once(dead.server, 'close');
    const proxy = await proxyTo(`http://127.0.0.1:${port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    const res = await client.response();
    assert.equal(res.status, 502);
    assert.equal(res.header('content-type'), 'text/plain; charset=utf-8');
    assert.equal(proxy.log.originErrors[0]!.code, 'connect_refused');
    assert.equal(proxy.log.originErrors[0]!.status, 502);
    client.write(get('/y'));
    assert.equal((await client.response()).status, 502, 'the client connection survives a 502');
  });

  it('answers 504 when the origin sends no response head in time', async () => {
    const origin = await startRawOrigin(() => undefined); // accepts and stays silent
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, {}, { timeouts: { connectMs: 2000, responseMs: 300 } });
    const client = await connectClient(proxy.port);
    client.write(get('/slow'));
    const res = await client.response();
    assert.equal(res.status, 504);
    assert.equal(proxy.log.originErrors[0]!.code, 'response_timeout');
  });

  it('answers 404 without a route and 421 for a misdirected host', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/nowhere/x'));
    const res = await client.response();
    assert.equal(res.status, 404);
    assert.equal(res.body.toString(), 'no route for this host and path\n');
    client.write(get('/', 'other.test'));
    assert.equal((await client.response()).status, 421);
    assert.equal(origin.connections, 0);
    assert.deepEqual(proxy.log.responses.map((r) => [r.status, r.local]), [[404, true], [421, true]]);
  });

  it('answers 431 to a head over the limit and closes', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, { maxHeaderBytes: 1024 });
    const client = await connectClient(proxy.port);
    client.write(get('/', 'app.test', `X-Big: ${'b'.repeat(2000)}\r\n`));
    const res = await client.response();
    assert.equal(res.status, 431);
    assert.equal(res.header('connection'), 'close');
    await client.closed();
    assert.equal(proxy.log.requestErrors[0]!.code, 'head_too_large');
    assert.equal(origin.connections, 0);
  });

  it('answers 400 to a smuggling attempt and never forwards it', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write('POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const res = await client.response();
    assert.equal(res.status, 400);
    await client.closed();
    assert.equal(origin.connections, 0);
    assert.equal(proxy.log.requestErrors[0]!.code, 'te_with_content_length');
  });

  it('closes an idle client connection after idleTimeoutMs', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, { idleTimeoutMs: 200 });
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    assert.equal((await client.response()).status, 200);
    await client.closed();
    const [summary] = await proxy.summaries(1);
    assert.deepEqual(summary, { requests: 1, reason: 'idle_timeout' });
  });

  it('answers 408 to a head that does not complete in time', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, { idleTimeoutMs: 200 });
    const client = await connectClient(proxy.port);
    client.write('GET / HTTP/1.1\r\nHost: app');
    const res = await client.response();
    assert.equal(res.status, 408);
    await client.closed();
    assert.equal(proxy.log.requestErrors[0]!.code, 'head_timeout');
  });

  it('honours Connection: close from the client', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/x', 'app.test', 'Connection: close\r\n'));
    const res = await client.response();
    assert.equal(res.status, 200);
    assert.equal(res.header('connection'), 'close');
    assert.equal(JSON.parse(res.body.toString()).connection, undefined, 'Connection is hop-by-hop');
    await client.closed();
    const [summary] = await proxy.summaries(1);
    assert.equal(summary!.reason, 'connection_close');
  });

  it('closes the client connection when a response fails mid-stream, never sending a second status line', async () => {
    const origin = await startRawOrigin((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
        setImmediate(() => socket.destroy());
      });
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    const all = (await client.closed()).toString('latin1');
    assert.equal(all.match(/HTTP\/1\.1 /g)?.length, 1);
    assert.ok(all.endsWith('partial'));
    assert.equal(proxy.log.originErrors[0]!.status, 0);
  });

  it('answers 502 to a malformed response head', async () => {
    const origin = await startRawOrigin((socket) => socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')));
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    assert.equal((await client.response()).status, 502);
    assert.equal(proxy.log.originErrors[0]!.code, 'bad_response');
    assert.equal(proxy.log.originErrors[0]!.detail, 'te_with_content_length');
  });

  it('reads a close-delimited response to its end and then closes the client connection', async () => {
    const origin = await startRawOrigin((socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end')));
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/x'));
    const res = await client.response();
    assert.equal(res.header('connection'), 'close');
    assert.equal(res.body.toString(), 'until the end');
  });

  it('retries an idempotent request once when a reused origin connection was closed under it', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/first'));
    assert.equal((await client.response()).status, 200);
    // the origin drops its idle connection; the pool may not have seen the FIN yet
    for (const s of origin.sockets) s.destroy();
    client.write(get('/second'));
    const res = await client.response();
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body.toString()).url, '/second');
    assert.equal(origin.connections, 2);
  });

  it('keeps streaming a large response to a client that reads slowly (its stall is not the origin\'s)', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, {}, { timeouts: { connectMs: 2000, responseMs: 200 } });
    const client = await connectClient(proxy.port);
    client.socket.pause();
    client.write(get(`/bytes/${4 * 1024 * 1024}`));
    await new Promise((resolve) => setTimeout(resolve, 600)); // three response timeouts without reading
    client.socket.resume();
    const res = await client.response();
    assert.equal(res.status, 200);
    assert.equal(sha256(res.body), sha256(deterministic(4 * 1024 * 1024)));
    assert.deepEqual(proxy.log.originErrors, []);
  });

  it('answers 408 when the client stops sending its body half way', async () => {
    const origin = await startHttpOrigin(echoHandler);
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`, {}, { timeouts: { connectMs: 2000, responseMs: 200 } });
    const client = await connectClient(proxy.port);
    client.write('POST /p HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\nonly part');
    const res = await client.response();
    assert.equal(res.status, 408);
    await client.closed();
    assert.equal(proxy.log.requestErrors[0]!.code, 'body_timeout');
    assert.deepEqual(proxy.log.originErrors, []);
  });

  it('serves an HTTP/1.0 client as HTTP/1.0 and keeps it alive only when asked and possible', async () => {
    const origin = await startHttpOrigin((req, res) => {
      const body = `${req.httpVersion} ${req.url}`;
      if (req.url !== '/unframed') res.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
    });
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write('GET /old HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n');
    const first = await client.response();
    assert.equal(first.body.toString(), '1.0 /old', 'forwarded as HTTP/1.0');
    assert.equal(first.header('connection'), 'keep-alive');
    // a response without a length ends at close: the connection cannot be kept
    client.write('GET /unframed HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n');
    const second = await client.response();
    assert.equal(second.header('connection'), 'close');
    assert.equal(second.body.toString(), '1.0 /unframed');
    const other = await connectClient(proxy.port);
    other.write('GET /plain HTTP/1.0\r\n\r\n');
    assert.equal((await other.response()).header('connection'), 'close');
    await other.closed();
  });

  it('removes the fields the client names in Connection before forwarding', async () => {
    const origin = await startHttpOrigin((req, res) => res.end(JSON.stringify(req.headers)));
    const proxy = await proxyTo(`http://127.0.0.1:${origin.port}`);
    const client = await connectClient(proxy.port);
    client.write(get('/h', 'app.test', 'Connection: X-Hop\r\nX-Hop: secret\r\nX-Keep: 1\r\nTE: trailers\r\nKeep-Alive: 5\r\n'));
    const seen = JSON.parse((await client.response()).body.toString());
    assert.equal(seen['x-hop'], undefined);
    assert.equal(seen.te, undefined);
    assert.equal(seen['keep-alive'], undefined);
    assert.equal(seen['x-keep'], '1');
  });

  it('proxies to an https origin, verifying its certificate against the SNI sent', async () => {
    const origin = await startHttpsOrigin(['app.test'], echoHandler);
    const proxy = await proxyTo(`https://127.0.0.1:${origin.port}`, {}, { verify: { mode: 'strict', ca: pki().ca.cert } });
    const client = await connectClient(proxy.port);
    client.write(get('/tls'));
    const res = await client.response();
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body.toString()).url, '/tls');
    assert.deepEqual(origin.snis, ['app.test']);
    assert.equal(proxy.log.bound[0]!.sni, 'app.test');
    // a host the origin certificate does not cover fails verification: 502, reason verify_failed
    const other = await proxyTo(`https://127.0.0.1:${origin.port}`, {}, { verify: { mode: 'strict', ca: pki().ca.cert }, sni: { mode: 'literal', name: 'not-covered.test' } });
    const c2 = await connectClient(other.port);
    c2.write(get('/tls'));
    assert.equal((await c2.response()).status, 502);
    assert.equal(other.log.originErrors[0]!.code, 'verify_failed');
  });
});
