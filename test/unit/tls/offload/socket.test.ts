import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ClientHelloPeeker } from '../../../../adapters/tls/hello/peek.js';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { describeKey, softwareSigner, type SignRequest } from '../../../../adapters/tls/crypto/software-signer.js';
import { serverPolicy } from '../../../../adapters/tls/engine/server/policy.js';
import type { EngineOutput } from '../../../../adapters/tls/engine/server/io.js';
import { OffloadTlsSocket } from '../../../../adapters/tls/offload/socket.js';
import { HandshakePacer } from '../../../../adapters/tls/offload/handshake-pacer.js';
import type { SessionStorePort } from '../../../../adapters/tls/offload/ports.js';
import { startOffload, type Harness } from '../support/offload-harness.js';
import { testPki } from '../support/pki.js';
import { missingTools } from '../../../support/requirements.js';

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function client(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'example.test', ca: readFileSync(testPki().caFile), ...options }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The client's secureConnect comes before the server has read its Finished: wait for the server side. */
async function serverCompleted(h: Harness, count: number): Promise<void> {
  while (h.completed().length < count) await new Promise((r) => setTimeout(r, 2));
}

function roundTrip(s: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    s.once('data', (d: Buffer) => resolve(d.toString()));
    s.write(text);
  });
}

describe('OffloadTlsSocket', { skip: missingTools('openssl') }, () => {
  it('pauses reading while a signature is pending and other connections still complete', async () => {
    const held: Array<() => void> = [];
    let harness!: Harness;
    harness = await startOffload({
      signer: (inner) => (req: SignRequest) =>
        new Promise<Uint8Array>((resolve, reject) => {
          // The first handshake's signature waits until the test releases it.
          if (held.length === 0 && harness.completed().length === 0) held.push(() => inner(req).then(resolve, reject));
          else inner(req).then(resolve, reject);
        }),
    });
    servers.push(harness);
    const slow = client(harness.port);
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    const pending = harness.sockets[0]!;
    assert.equal(pending.socket.isPaused(), true, 'the TCP socket is paused while the signer works');
    const fast = await client(harness.port);
    assert.equal(await roundTrip(fast, 'fast'), 'fast');
    fast.end();
    held[0]!();
    const slowSocket = await slow;
    assert.equal(await roundTrip(slowSocket, 'slow'), 'slow');
    assert.equal(pending.socket.isPaused(), false);
    slowSocket.end();
  });

  it('sends internal_error and surfaces an OffloadTlsError when the signer fails', async () => {
    const harness = await startOffload({ signer: () => () => Promise.reject(Object.assign(new Error('token gone (slot 3, pin …)'), { code: 'sign_failed' })) });
    servers.push(harness);
    const failed = client(harness.port).then(
      () => undefined,
      (e: Error) => e,
    );
    const err = await failed;
    assert.ok(err);
    assert.match(String(err), /internal error|alert number 80/i);
    const sent = harness.outputs.find((o): o is Extract<EngineOutput, { type: 'alert_sent' }> => o.type === 'alert_sent');
    assert.equal(sent?.name, 'internal_error');
    assert.equal(sent?.reason, 'signing failed: sign_failed', 'only the signer error code travels, not its message');
  });

  it('resumes a stateful session through the session store port', async () => {
    const store = new Map<string, Uint8Array>();
    const sessions: SessionStorePort = {
      get: async (id) => store.get(Buffer.from(id).toString('hex')),
      put: (id, session) => void store.set(Buffer.from(id).toString('hex'), session),
    };
    const harness = await startOffload({ sessions, policy: { tickets: { mode: 'stateful', lifetimeSeconds: 600, count: 1, maxEarlyData: 0 } } });
    servers.push(harness);
    const first = await client(harness.port);
    const session = await new Promise<Buffer>((r) => first.once('session', r));
    await new Promise((r) => setImmediate(r));
    first.end();
    assert.equal(store.size, 1);
    const second = await client(harness.port, { session });
    assert.equal(second.isSessionReused(), true);
    await serverCompleted(harness, 2);
    assert.equal(harness.completed().at(-1)?.resumed, 'session');
    second.end();
  });

  it('takes over a connection after the listener peeked its ClientHello; handshake steps take pacer turns, traffic does not', async () => {
    class CountingPacer extends HandshakePacer {
      turns = 0;
      override schedule(task: () => void): void {
        this.turns++;
        super.schedule(task);
      }
    }
    const pacer = new CountingPacer();
    const pki = testPki();
    const policy = serverPolicy({ certificates: [{ chain: pki.server.p256.chain, key: describeKey('p256', pki.server.p256.key) }], alpn: ['h2', 'http/1.1'] });
    const sniSeen: Array<string | null> = [];
    const net = createNetServer((raw: Socket) => {
      const peeker = new ClientHelloPeeker();
      const onData = (chunk: Buffer) => {
        const r = peeker.feed(chunk);
        if (r.status === 'need_more') return;
        raw.off('data', onData);
        raw.pause();
        if (r.status === 'failed') return void raw.destroy();
        sniSeen.push(r.facts.sni);
        const tls = new OffloadTlsSocket(raw, {
          engine: { provider: new NodeCryptoProvider(), policy },
          signer: softwareSigner(new Map([['p256', pki.server.p256.key]])),
          initialData: r.consumed,
          pacer,
        });
        tls.on('data', (d: Buffer) => tls.write(d));
        tls.on('error', () => undefined);
      };
      raw.on('data', onData);
    });
    await new Promise<void>((r) => net.listen(0, '127.0.0.1', () => r()));
    servers.push({ close: () => new Promise<void>((r) => net.close(() => r())) });
    const port = (net.address() as { port: number }).port;
    const s = await client(port, { ALPNProtocols: ['http/1.1'] });
    assert.equal(s.alpnProtocol, 'http/1.1');
    assert.equal(await roundTrip(s, 'peeked'), 'peeked');
    assert.deepEqual(sniSeen, ['example.test']);
    // ClientHello, the signature's answer, the client's Finished: each waited for a turn.
    const handshakeTurns = pacer.turns;
    assert.ok(handshakeTurns >= 3, `handshake steps paced: ${handshakeTurns}`);
    assert.equal(await roundTrip(s, 'again'), 'again');
    assert.equal(pacer.turns, handshakeTurns, 'records after the handshake are handled as they arrive');
    s.end();
  });

  it('reports handshake facts like a TLSSocket', async () => {
    const harness = await startOffload({ app: 'http' });
    servers.push(harness);
    const s = await client(harness.port, { ALPNProtocols: ['h2'] });
    await serverCompleted(harness, 1);
    const server = harness.sockets.at(-1)!;
    assert.equal(server.encrypted, true);
    assert.equal(server.alpnProtocol, 'h2');
    assert.equal(server.servername, 'example.test');
    assert.equal(server.getProtocol(), 'TLSv1.3');
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.equal(server.remotePort, s.localPort);
    s.destroy();
  });
});
