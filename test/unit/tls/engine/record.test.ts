import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { trafficKeys } from '../../../../adapters/tls/engine/key-schedule.js';
import { RecordDeframer } from '../../../../adapters/tls/engine/record/deframer.js';
import { fragment, plaintextRecords } from '../../../../adapters/tls/engine/record/fragmenter.js';
import { HandshakeJoiner } from '../../../../adapters/tls/engine/record/joiner.js';
import { RecordProtector, RecordUnprotector } from '../../../../adapters/tls/engine/record/protection.js';
import { suiteByCode } from '../../../../adapters/tls/engine/suites.js';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { concat, hex } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

const p = new NodeCryptoProvider();
const suite = suiteByCode(0x1301)!;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TlsError);
    return err.code;
  }
  return 'none';
}

describe('RecordDeframer', () => {
  it('splits records across arbitrary chunk boundaries', () => {
    const records = concat([...plaintextRecords(22, new Uint8Array(70).fill(1), 30), new Uint8Array([21, 3, 3, 0, 2, 1, 0])]);
    for (const chunk of [1, 2, 5, 7, 100]) {
      const d = new RecordDeframer();
      const got: number[] = [];
      for (let i = 0; i < records.length; i += chunk) {
        d.push(records.subarray(i, i + chunk));
        for (let r = d.next(); r; r = d.next()) got.push(r.fragment.length);
      }
      assert.deepEqual(got, [30, 30, 10, 2]);
      assert.equal(d.buffered, 0);
    }
  });

  it('refuses an unknown content type as soon as its first byte arrives', () => {
    const d = new RecordDeframer();
    d.push(new Uint8Array([99]));
    assert.equal(code(() => d.next()), 'unexpected_message');
  });

  it('refuses a record longer than 2^14 + 256 with record_overflow', () => {
    const d = new RecordDeframer();
    d.push(new Uint8Array([23, 3, 3, 0x41, 0x01]));
    assert.equal(code(() => d.next()), 'record_overflow');
  });

  it('bounds the backlog left unprocessed', () => {
    const d = new RecordDeframer(100);
    d.push(new Uint8Array(101).fill(23));
    assert.equal(code(() => d.checkBacklog()), 'too_large');
  });
});

describe('RecordProtector / RecordUnprotector', () => {
  const keys = trafficKeys(p, suite, vec('key_schedule.server_application_traffic_secret_0.expanded'));

  it('protects like RFC 8448 (the server application data record, sequence 1)', () => {
    const w = new RecordProtector(p.aead(suite.aead, keys.key), keys.iv);
    w.protect(22, new Uint8Array(10)); // sequence 0 was the NewSessionTicket
    assert.equal(hex(w.protect(23, vec('application_data.server'))), hex(vec('records.server_application_data.record')));
  });

  it('opens what it protects, stripping padding, and counts sequence numbers', () => {
    const w = new RecordProtector(p.aead(suite.aead, keys.key), keys.iv);
    const r = new RecordUnprotector(p.aead(suite.aead, keys.key), keys.iv);
    for (let i = 0; i < 5; i++) {
      const rec = w.protect(23, new Uint8Array([i, i]), i * 3);
      const opened = r.unprotect(rec.subarray(0, 5), rec.subarray(5));
      assert.deepEqual(opened, { type: 23, content: new Uint8Array([i, i]) });
    }
    assert.equal(r.sequence, 5);
  });

  it('returns undefined for a record that does not authenticate, or comes out of order', () => {
    const w = new RecordProtector(p.aead(suite.aead, keys.key), keys.iv);
    const r = new RecordUnprotector(p.aead(suite.aead, keys.key), keys.iv);
    const a = w.protect(23, new Uint8Array([1]));
    const b = w.protect(23, new Uint8Array([2]));
    assert.equal(r.unprotect(b.subarray(0, 5), b.subarray(5)), undefined);
    const tampered = a.slice();
    tampered[6]! ^= 1;
    assert.equal(r.unprotect(tampered.subarray(0, 5), tampered.subarray(5)), undefined);
    assert.ok(r.unprotect(a.subarray(0, 5), a.subarray(5)));
  });

  it('refuses an all-zero inner plaintext with unexpected_message', () => {
    const w = new RecordProtector(p.aead(suite.aead, keys.key), keys.iv);
    const r = new RecordUnprotector(p.aead(suite.aead, keys.key), keys.iv);
    const rec = w.protect(0, new Uint8Array(0), 4);
    assert.equal(code(() => r.unprotect(rec.subarray(0, 5), rec.subarray(5))), 'unexpected_message');
  });

  it('refuses inner plaintext above the advertised record_size_limit with record_overflow', () => {
    const w = new RecordProtector(p.aead(suite.aead, keys.key), keys.iv);
    const r = new RecordUnprotector(p.aead(suite.aead, keys.key), keys.iv, 64);
    const rec = w.protect(23, new Uint8Array(64));
    assert.equal(code(() => r.unprotect(rec.subarray(0, 5), rec.subarray(5))), 'record_overflow');
  });
});

describe('fragment', () => {
  it('cuts content into pieces no larger than the limit', () => {
    assert.deepEqual(fragment(new Uint8Array(10), 4).map((f) => f.length), [4, 4, 2]);
    assert.deepEqual(fragment(new Uint8Array(4), 4).map((f) => f.length), [4]);
  });
});

describe('HandshakeJoiner', () => {
  it('joins a message split over fragments and splits coalesced ones', () => {
    const j = new HandshakeJoiner();
    const m1 = new Uint8Array([20, 0, 0, 3, 1, 2, 3]);
    const m2 = new Uint8Array([24, 0, 0, 1, 0]);
    const both = concat([m1, m2]);
    j.push(both.subarray(0, 2));
    assert.equal(j.next(), undefined);
    j.push(both.subarray(2, 9));
    assert.equal(hex(j.next()!), hex(m1));
    assert.equal(j.next(), undefined);
    assert.equal(j.isEmpty, false);
    assert.equal(code(() => j.requireBoundary('x')), 'unexpected_message');
    j.push(both.subarray(9));
    assert.equal(hex(j.next()!), hex(m2));
    assert.equal(j.isEmpty, true);
  });

  it('refuses a zero-length fragment and an oversized message', () => {
    assert.equal(code(() => new HandshakeJoiner().push(new Uint8Array(0))), 'unexpected_message');
    assert.equal(code(() => new HandshakeJoiner(100).push(new Uint8Array([11, 0, 1, 0]))), 'too_large');
  });
});
