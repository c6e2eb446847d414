import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientHelloPeeker, peekClientHello, type PeekResult } from '../../../../adapters/tls/hello/peek.js';
import { looksLikeHttp, sniffHttp } from '../../../../adapters/tls/hello/http-sniff.js';
import { buildHello, concat, hex, toRecords } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

const message = buildHello({ serverName: 'api.example.test', alpn: ['h2', 'http/1.1'] });
const record = toRecords(message);

function feedAll(chunks: Uint8Array[], peeker = new ClientHelloPeeker()): PeekResult[] {
  return chunks.map((c) => peeker.feed(c));
}

function complete(r: PeekResult) {
  assert.equal(r.status, 'complete', r.status === 'failed' ? `${r.error.code}: ${r.error.message}` : r.status);
  return r as Extract<PeekResult, { status: 'complete' }>;
}

function failed(r: PeekResult) {
  assert.equal(r.status, 'failed');
  return (r as Extract<PeekResult, { status: 'failed' }>).error;
}

describe('ClientHelloPeeker', () => {
  it('completes on one record and returns every byte it was fed', () => {
    const r = complete(peekClientHello(record));
    assert.equal(hex(r.hello.raw), hex(message));
    assert.equal(hex(r.consumed), hex(record));
    assert.equal(r.helloBytes, record.length);
    assert.equal(r.facts.sni, 'api.example.test');
    assert.deepEqual(r.facts.alpn, ['h2', 'http/1.1']);
    assert.equal(r.facts.records, 1);
    assert.equal(r.facts.offersTls13, true);
  });

  it('parses the RFC 8448 ClientHello record', () => {
    const r = complete(peekClientHello(vec('records.client_hello.record')));
    assert.equal(r.facts.sni, 'server');
    assert.equal(r.facts.maxVersion, '1.3');
  });

  it('answers need_more for every strict prefix, then completes', () => {
    const peeker = new ClientHelloPeeker();
    for (let i = 0; i < record.length - 1; i++) {
      assert.equal(peeker.feed(record.subarray(i, i + 1)).status, 'need_more', `after ${i + 1} byte(s)`);
    }
    const r = complete(peeker.feed(record.subarray(record.length - 1)));
    assert.equal(hex(r.consumed), hex(record));
  });

  it('completes identically at every two-chunk split point', () => {
    for (let cut = 1; cut < record.length; cut++) {
      const [a, b] = feedAll([record.subarray(0, cut), record.subarray(cut)]);
      assert.equal(a!.status, 'need_more', `cut ${cut}`);
      assert.equal(hex(complete(b!).hello.raw), hex(message));
    }
  });

  it('reassembles a hello fragmented across many records, in 1-byte TCP segments too', () => {
    for (const sizes of [[1], [2], [3], [4, 1], [100], [7, 13, 300], [message.length - 1]]) {
      const records = toRecords(message, sizes);
      const whole = complete(peekClientHello(records));
      assert.equal(hex(whole.hello.raw), hex(message));
      if (sizes.length === 1) assert.equal(whole.facts.records, Math.ceil(message.length / sizes[0]!));
      const results = feedAll(Array.from(records, (b) => new Uint8Array([b])));
      assert.ok(results.slice(0, -1).every((r) => r.status === 'need_more'));
      assert.equal(hex(complete(results.at(-1)!).hello.raw), hex(message));
    }
  });

  it('accepts legacy record versions 0x0301..0x0303 and refuses SSL 3.0 with protocol_version', () => {
    for (const v of [0x0301, 0x0302, 0x0303]) complete(peekClientHello(toRecords(message, [16384], v)));
    assert.equal(failed(peekClientHello(toRecords(message, [16384], 0x0300))).code, 'protocol_version');
    assert.equal(failed(peekClientHello(toRecords(message, [16384], 0x0201))).code, 'not_tls');
  });

  it('keeps bytes that follow the hello (early data, CCS) in consumed', () => {
    const extra = new Uint8Array([20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 2, 9, 9]);
    const r = complete(peekClientHello(concat([record, extra])));
    assert.equal(r.helloBytes, record.length);
    assert.equal(hex(r.consumed), hex(concat([record, extra])));
    const later = new ClientHelloPeeker();
    later.feed(record);
    assert.equal(hex(complete(later.feed(extra)).consumed), hex(concat([record, extra])));
  });

  it('fails with not_tls on a plain-HTTP request, which looksLikeHttp recognises', () => {
    const get = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(failed(peekClientHello(get)).code, 'not_tls');
    assert.equal(looksLikeHttp(get), true);
    assert.equal(looksLikeHttp(new TextEncoder().encode('PRI * HTTP/2.0\r\n')), true);
    assert.equal(sniffHttp(new TextEncoder().encode('OPT')), 'need_more');
    assert.equal(looksLikeHttp(record), false);
    assert.equal(looksLikeHttp(new Uint8Array([0xde, 0xad])), false);
  });

  it('fails with not_tls on garbage in the first byte', () => {
    assert.equal(failed(peekClientHello(new Uint8Array([0x00, 1, 2, 3, 4, 5]))).code, 'not_tls');
    assert.equal(failed(peekClientHello(new Uint8Array([0x17, 3, 3, 0, 1, 0]))).code, 'not_tls');
  });

  it('refuses an SSLv2-compatible hello with sslv2_hello', () => {
    const v2 = new Uint8Array([0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15]);
    assert.equal(peekClientHello(v2.subarray(0, 2)).status, 'need_more');
    assert.equal(failed(peekClientHello(v2)).code, 'sslv2_hello');
  });

  it('refuses a hello above the cap with too_large as soon as its length is known', () => {
    const big = buildHello({ extra: [{ type: 21, data: new Uint8Array(20000) }] });
    const records = toRecords(big, [16384]);
    // the handshake header alone (first 9 bytes) is enough to refuse
    assert.equal(failed(peekClientHello(records.subarray(0, 9))).code, 'too_large');
    complete(peekClientHello(records, { maxBytes: 64 * 1024 }));
    assert.equal(failed(peekClientHello(record, { maxBytes: 100 })).code, 'too_large');
  });

  it('refuses a record longer than 2^14 with record_overflow', () => {
    assert.equal(failed(peekClientHello(new Uint8Array([22, 3, 1, 0x40, 0x01, 1]))).code, 'record_overflow');
  });

  it('refuses a zero-length handshake record with unexpected_message', () => {
    assert.equal(failed(peekClientHello(concat([new Uint8Array([22, 3, 1, 0, 0]), record]))).code, 'unexpected_message');
  });

  it('refuses another content type interleaved with the hello fragments with unexpected_message', () => {
    const parts = toRecords(message, [50]);
    const ccs = new Uint8Array([20, 3, 3, 0, 1, 1]);
    const interleaved = concat([parts.subarray(0, 55), ccs, parts.subarray(55)]);
    assert.equal(failed(peekClientHello(interleaved)).code, 'unexpected_message');
  });

  it('refuses a first handshake message that is not a ClientHello with unexpected_message', () => {
    const sh = message.slice();
    sh[0] = 2;
    assert.equal(failed(peekClientHello(toRecords(sh).subarray(0, 6))).code, 'unexpected_message');
  });

  it('refuses handshake data after the hello in the same record with unexpected_message', () => {
    assert.equal(failed(peekClientHello(toRecords(concat([message, new Uint8Array([20, 0, 0, 0])])))).code, 'unexpected_message');
  });

  it('surfaces decode errors of the hello itself as typed errors', () => {
    const bad = message.slice();
    bad[4] = 0x03;
    bad[4 + 2 + 32] = 40; // session id length > 32
    assert.equal(failed(peekClientHello(toRecords(bad))).code, 'length_out_of_range');
  });

  it('stays failed once failed', () => {
    const peeker = new ClientHelloPeeker();
    failed(peeker.feed(new Uint8Array([1])));
    assert.equal(peeker.feed(record).status, 'failed');
    assert.equal(peeker.bytesSeen, 1 + record.length);
  });
});
