import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { request } from 'node:https';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { startOffload, type Harness } from '../unit/tls/support/offload-harness.js';
import { testPki } from '../unit/tls/support/pki.js';
import { missingTools } from '../support/requirements.js';

/** Connects; `sessions` resolves with the first session the server sends (listened for from the start). */
function tlsConnect(port: number, options: ConnectionOptions = {}): Promise<TLSSocket & { firstSession: Promise<Buffer> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'example.test', ca: readFileSync(testPki().caFile), minVersion: 'TLSv1.3', ...options }, () => resolve(Object.assign(socket, { firstSession })));
    const firstSession = new Promise<Buffer>((r) => socket.once('session', r));
    socket.once('error', reject);
  });
}

function echo(socket: TLSSocket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const onData = (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= data.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(data);
  });
}

describe('offload engine with node:tls clients', { skip: missingTools('openssl') }, () => {
  let echoServer: Harness;
  let httpServer: Harness;
  before(async () => {
    echoServer = await startOffload({ kinds: ['p256', 'rsa2048'] });
    httpServer = await startOffload({ app: 'http' });
  });
  after(async () => {
    await echoServer?.close();
    await httpServer?.close();
  });

  it('completes a handshake the client verifies and echoes data', async () => {
    const socket = await tlsConnect(echoServer.port);
    assert.equal(socket.authorized, true);
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal((await echo(socket, Buffer.from('hello offload'))).toString(), 'hello offload');
    socket.end();
  });

  it('echoes 8 MiB both ways intact', async () => {
    const socket = await tlsConnect(echoServer.port);
    const data = randomBytes(8 * 1024 * 1024);
    const back = await echo(socket, data);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
    socket.end();
  });

  it('resumes with a ticket from the first connection', async () => {
    const first = await tlsConnect(echoServer.port);
    const session = await first.firstSession;
    // node:tls quirk (same against tls.createServer): a write made in the microtask right after the
    // 'session' event is stuck until the next read; leave the event's call stack first.
    await new Promise((r) => setImmediate(r));
    await echo(first, Buffer.from('x'));
    first.end();
    const second = await tlsConnect(echoServer.port, { session });
    assert.equal(second.isSessionReused(), true);
    await echo(second, Buffer.from('y'));
    second.end();
    assert.equal(echoServer.completed().at(-1)?.resumed, 'ticket');
  });

  it('negotiates each suite', async () => {
    for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const socket = await tlsConnect(echoServer.port, { ciphers: suite });
      assert.equal(socket.getCipher().standardName, suite);
      await echo(socket, Buffer.from(suite));
      socket.end();
    }
  });

  it('serves HTTP/1.1 over the offload socket, with a 5 MiB upload and download', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: httpServer.port, path, servername: 'example.test', ca: readFileSync(testPki().caFile), agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    const info = JSON.parse((await get('/')).body.toString());
    // https.request offers no ALPN: the connection goes to the HTTP/1.1 server with alpnProtocol false.
    assert.deepEqual(info, { httpVersion: '1.1', alpn: false, sni: 'example.test', resumed: null });
    assert.equal((await get('/?bytes=5242880')).body.length, 5242880);
    const upload = randomBytes(5 * 1024 * 1024);
    const posted = await new Promise<string>((resolve, reject) => {
      const req = request({ method: 'POST', host: '127.0.0.1', port: httpServer.port, path: '/', servername: 'example.test', ca: readFileSync(testPki().caFile), agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end(upload);
    });
    assert.deepEqual(JSON.parse(posted), { received: upload.length, sha256: createHash('sha256').update(upload).digest('hex') });
  });

  it('serves h2 over the offload socket when ALPN chose h2', async () => {
    const session = h2connect(`https://127.0.0.1:${httpServer.port}`, { servername: 'example.test', ca: readFileSync(testPki().caFile) });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/' });
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => resolve(data));
        stream.on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { httpVersion: '2.0', alpn: 'h2', sni: 'example.test', resumed: null });
    } finally {
      session.close();
    }
  });
});
