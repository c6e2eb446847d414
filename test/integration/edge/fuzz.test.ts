// Mutated ClientHellos over real sockets: the proxy never crashes or leaks an unhandled rejection,
// every connection is closed and counted (accepted + closed events, active gauge back to 0), and a
// well-formed client is still served afterwards.
import assert from 'node:assert/strict';
import { connect as netConnect, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { startProxyProcess, type ProxyProcess } from '../../../actors/proxy/process.js';
import { buildRuntime, type BuiltRuntime } from '../../../actors/system/build-runtime.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { httpsGet } from '../../support/https-client.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';

const CONNECTIONS = 400;

/** A real ClientHello from node:tls, captured on a loopback socket. */
async function captureHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = createServer((s) => {
      s.once('data', (d) => {
        resolve(d);
        s.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const c = tlsConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] });
      c.on('error', () => {});
    });
  });
}

/** xorshift32: reproducible mutations. */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(hello: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(hello);
  switch (Math.floor(rand() * 5)) {
    case 0: // flip a few bits
      for (let i = 0; i < 1 + rand() * 8; i++) out[Math.floor(rand() * out.length)]! ^= 1 << Math.floor(rand() * 8);
      return out;
    case 1: // truncate
      return out.subarray(0, Math.floor(rand() * out.length));
    case 2: // corrupt a length field near the front (record, handshake, session id, suites)
      out[[3, 4, 6, 7, 8, 43, 44, 45][Math.floor(rand() * 8)]!] = Math.floor(rand() * 256);
      return out;
    case 3: // random bytes after a valid record header
      return Buffer.concat([out.subarray(0, 5), Buffer.from(Array.from({ length: out.length - 5 }, () => Math.floor(rand() * 256)))]);
    default: // pure garbage
      return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 600) }, () => Math.floor(rand() * 256)));
  }
}

describe('fuzzed ClientHellos against a running proxy', () => {
  let pki: TestCa;
  let origin: TestOrigin;
  let built: BuiltRuntime;
  let proxy: ProxyProcess;
  const events: AnyEvent[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    pki = await createTestCa();
    const leaf = await pki.issue('a', { names: ['a.test'] });
    origin = await startEchoOrigin();
    const dir = tempDir('tlsedge-fuzz-');
    const config = configFromObject(
      {
        listen: [{ address: '127.0.0.1:0' }],
        admin: { address: null },
        log: { dir: join(dir, 'events') },
        // Short timeouts: some mutations leave a handshake waiting for bytes that never come.
        limits: { hello_timeout: '300ms', handshake_timeout: '300ms' },
        certificates: [{ names: ['a.test'], cert: leaf.certFile, key: leaf.keyFile }],
        origins: [{ match: {}, to: origin.url }],
      },
      dir,
    );
    built = await buildRuntime(config, { role: 'fuzz', log: memoryLogger() });
    built.runtime.bus.subscribe(ALL_EVENTS, (m) => events.push(m.data as unknown as AnyEvent));
    proxy = await startProxyProcess(built.runtime);
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await proxy?.stop();
    await built?.close();
    await origin?.close();
  });

  it(`closes and counts every one of ${CONNECTIONS} mutated connections and keeps serving`, async () => {
    const hello = await captureHello();
    const rand = prng(0x7e5);
    const port = proxy.proxy.listeners[0]!.port;
    const send = (bytes: Buffer, halfClose: boolean) =>
      new Promise<void>((resolve) => {
        const s = netConnect(port, '127.0.0.1', () => {
          s.write(bytes);
          if (halfClose) s.end();
        });
        s.on('data', () => {});
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.setTimeout(5000, () => s.destroy());
      });
    for (let batch = 0; batch < CONNECTIONS / 50; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => send(mutate(hello, rand), rand() < 0.3)));
    }
    // Every connection: accepted, then closed; the proxy agrees nothing is left open.
    const deadline = Date.now() + 5000;
    const count = (fact: string) => events.filter((e) => e.type === `tlsedge.connection.${fact}`).length;
    while (count('closed') < CONNECTIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(count('accepted'), CONNECTIONS);
    assert.equal(count('closed'), CONNECTIONS);
    assert.equal(proxy.proxy.activeConnections(), 0);
    const metrics = await built.runtime.metrics.getSingleMetricAsString('tlsedge_connections_active');
    assert.match(metrics, /tlsedge_connections_active 0$/m);
    // Failures are named; nothing escaped as an unhandled rejection or a crash.
    const reasons = new Set(events.filter((e) => e.type.endsWith('.handshake_failed')).map((e) => (e.data as { reason: string }).reason));
    assert.ok(reasons.size >= 3, `several distinct failure reasons: ${[...reasons]}`);
    assert.deepEqual(unhandled, []);
    // And a real client is still served.
    const res = await httpsGet(port, 'a.test', '/after-fuzz', readFileSync(pki.caFile));
    assert.equal(res.status, 200);
  });

  it('forgets handshakes whose client resets mid-handshake (regression: a closed socket lost its 4-tuple key and leaked every such connection)', async () => {
    const hello = await captureHello();
    const port = proxy.proxy.listeners[0]!.port;
    const closedBefore = events.filter((e) => e.type === 'tlsedge.connection.closed').length;
    await Promise.all(
      Array.from({ length: 60 }, () =>
        new Promise<void>((resolve) => {
          const s = netConnect(port, '127.0.0.1', () => s.write(hello));
          // The server answers with its flight; the client resets instead of finishing.
          s.once('data', () => s.resetAndDestroy());
          s.on('error', () => {});
          s.on('close', () => resolve());
        }),
      ),
    );
    const deadline = Date.now() + 5000;
    while (events.filter((e) => e.type === 'tlsedge.connection.closed').length < closedBefore + 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(proxy.proxy.activeConnections(), 0);
    assert.equal(proxy.proxy.native.pendingHandshakes(), 0);
  });
});
