import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { ClientHelloPeeker, peekClientHello, type PeekResult } from '../../../../adapters/tls/hello/peek.js';
import { missingTools } from '../../../support/requirements.js';
import { start, type Started } from '../../../support/processes.js';
import { captureServer } from '../support/capture.js';
import { hex, toRecords } from '../support/hello-builder.js';

type Complete = Extract<PeekResult, { status: 'complete' }>;

const started: Started[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop(500)));
});

async function captureFrom(run: (port: number) => void | (() => void)): Promise<{ result: Complete; chunks: Uint8Array[] }> {
  const server = await captureServer();
  const cleanup = run(server.port);
  try {
    const { result, chunks } = await server.result;
    assert.equal(result.status, 'complete', result.status === 'failed' ? result.error.message : '');
    return { result: result as Complete, chunks };
  } finally {
    if (typeof cleanup === 'function') cleanup();
    await server.close();
  }
}

/** The same hello, re-fragmented into records of `size` bytes and fed one byte at a time. */
function checkRefragmented(r: Complete): void {
  for (const size of [1, 2, 5, 64, 300]) {
    const records = toRecords(r.hello.raw, [size], 0x0301);
    const peeker = new ClientHelloPeeker();
    let last: PeekResult = { status: 'need_more' };
    for (let i = 0; i < records.length; i++) {
      last = peeker.feed(records.subarray(i, i + 1));
      if (i < records.length - 1) assert.equal(last.status, 'need_more');
    }
    assert.equal(last.status, 'complete');
    if (last.status === 'complete') assert.equal(last.facts.ja4, r.facts.ja4);
  }
  // and every strict prefix of the bytes as they arrived is need_more
  const bytes = r.consumed.subarray(0, r.helloBytes);
  for (let n = 0; n < bytes.length; n += 7) assert.equal(peekClientHello(bytes.subarray(0, n)).status, 'need_more');
}

const JA4_SHAPE = /^t1[23][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/;

describe('ClientHelloPeeker with real clients', () => {
  it('reads the hello of node:tls connect', async () => {
    const { result } = await captureFrom((port) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'node.example.test', ALPNProtocols: ['h2', 'http/1.1'] });
      socket.on('error', () => undefined);
      return () => socket.destroy();
    });
    assert.equal(result.facts.sni, 'node.example.test');
    assert.deepEqual(result.facts.alpn, ['h2', 'http/1.1']);
    assert.equal(result.facts.offersTls13, true);
    assert.match(result.facts.ja4, JA4_SHAPE);
    assert.ok(result.hello.keyShares && result.hello.keyShares.length > 0);
    checkRefragmented(result);
  });

  it('reads the hello of openssl s_client', { skip: missingTools('openssl') }, async () => {
    const { result } = await captureFrom((port) => {
      started.push(start('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'openssl.example.test', '-alpn', 'http/1.1'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    });
    assert.equal(result.facts.sni, 'openssl.example.test');
    assert.deepEqual(result.facts.alpn, ['http/1.1']);
    assert.equal(result.facts.offersTls13, true);
    assert.equal(result.facts.sessionIdLength, 32); // middlebox compatibility mode
    assert.match(result.facts.ja4, JA4_SHAPE);
    checkRefragmented(result);
  });

  it('reads the hello of curl --http2', { skip: missingTools('curl') }, async () => {
    const { result } = await captureFrom((port) => {
      started.push(start('curl', ['-sk', '--http2', '--max-time', '5', '--resolve', `curl.example.test:${port}:127.0.0.1`, `https://curl.example.test:${port}/`]));
    });
    assert.equal(result.facts.sni, 'curl.example.test');
    assert.deepEqual(result.facts.alpn, ['h2', 'http/1.1']);
    assert.match(result.facts.ja4, /^t13d\d{4}h2_/);
    checkRefragmented(result);
  });

  it('reads the hello of gnutls-cli', { skip: missingTools('gnutls-cli') }, async () => {
    const { result } = await captureFrom((port) => {
      started.push(start('gnutls-cli', ['--insecure', '-p', String(port), '--sni-hostname', 'gnutls.example.test', '--alpn', 'h2', '127.0.0.1'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    });
    assert.equal(result.facts.sni, 'gnutls.example.test');
    assert.deepEqual(result.facts.alpn, ['h2']);
    assert.equal(result.facts.offersTls13, true);
    assert.match(result.facts.ja4, JA4_SHAPE);
    checkRefragmented(result);
  });

  it('reads a real hello that arrives split across TCP segments', async () => {
    const { result: original } = await captureFrom((port) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'split.example.test' });
      socket.on('error', () => undefined);
      return () => socket.destroy();
    });
    const bytes = original.consumed.subarray(0, original.helloBytes);
    const { result, chunks } = await captureFrom((port) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('connect', async () => {
        for (let i = 0; i < bytes.length && !socket.destroyed; i += 7) {
          socket.write(bytes.subarray(i, i + 7));
          await new Promise((r) => setTimeout(r, 1));
        }
      });
      return () => socket.destroy();
    });
    assert.ok(chunks.length > 1, 'the hello arrived in more than one segment');
    assert.equal(hex(result.hello.raw), hex(original.hello.raw));
  });
});
