import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCertificate, encodeCertificate } from '../../../../adapters/tls/engine/messages/certificate.js';
import { decodeCertificateRequest, encodeCertificateRequest } from '../../../../adapters/tls/engine/messages/certificate-request.js';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../../../adapters/tls/engine/messages/certificate-verify.js';
import { decodeEncryptedExtensions, encodeEncryptedExtensions } from '../../../../adapters/tls/engine/messages/encrypted-extensions.js';
import { decodeFinished, encodeFinished } from '../../../../adapters/tls/engine/messages/finished.js';
import { decodeKeyUpdate, encodeKeyUpdate } from '../../../../adapters/tls/engine/messages/key-update.js';
import { decodeNewSessionTicket, encodeNewSessionTicket } from '../../../../adapters/tls/engine/messages/new-session-ticket.js';
import { decodeServerHello, encodeHelloRetryRequest, encodeServerHello } from '../../../../adapters/tls/engine/messages/server-hello.js';
import { decodeSession, encodeSession } from '../../../../adapters/tls/engine/server/session.js';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { hex } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

const sig = new Uint8Array(71).fill(7);
const samples: Array<{ name: string; bytes: Uint8Array; decode: (b: Uint8Array) => unknown }> = [
  { name: 'ServerHello (RFC 8448)', bytes: vec('handshake_messages.server_hello'), decode: decodeServerHello },
  { name: 'HelloRetryRequest', bytes: encodeHelloRetryRequest({ legacySessionIdEcho: new Uint8Array(32), cipherSuite: 0x1301, extensions: [{ type: 43, data: new Uint8Array([3, 4]) }, { type: 51, data: new Uint8Array([0, 0x17]) }] }), decode: decodeServerHello },
  { name: 'EncryptedExtensions (RFC 8448)', bytes: vec('handshake_messages.encrypted_extensions'), decode: decodeEncryptedExtensions },
  { name: 'Certificate (RFC 8448)', bytes: vec('handshake_messages.certificate'), decode: decodeCertificate },
  { name: 'CertificateRequest', bytes: encodeCertificateRequest(new Uint8Array(0), [{ type: 13, data: new Uint8Array([0, 2, 4, 3]) }]), decode: decodeCertificateRequest },
  { name: 'CertificateVerify (RFC 8448)', bytes: vec('handshake_messages.certificate_verify'), decode: decodeCertificateVerify },
  { name: 'Finished (RFC 8448)', bytes: vec('handshake_messages.server_finished'), decode: (b) => decodeFinished(b, 32) },
  { name: 'NewSessionTicket (RFC 8448)', bytes: vec('handshake_messages.new_session_ticket'), decode: decodeNewSessionTicket },
  { name: 'KeyUpdate', bytes: encodeKeyUpdate(true), decode: decodeKeyUpdate },
];

describe('handshake message codecs', () => {
  it('re-encodes the RFC 8448 messages byte for byte', () => {
    const sh = decodeServerHello(vec('handshake_messages.server_hello'));
    assert.equal(hex(encodeServerHello(sh)), hex(sh.raw));
    assert.equal(hex(encodeEncryptedExtensions(decodeEncryptedExtensions(vec('handshake_messages.encrypted_extensions')))), hex(vec('handshake_messages.encrypted_extensions')));
    const cert = decodeCertificate(vec('handshake_messages.certificate'));
    assert.equal(hex(encodeCertificate(cert.context, cert.entries.map((e) => e.certData))), hex(vec('handshake_messages.certificate')));
    const cv = decodeCertificateVerify(vec('handshake_messages.certificate_verify'));
    assert.equal(hex(encodeCertificateVerify(cv.scheme, cv.signature)), hex(cv.raw));
    assert.equal(hex(encodeFinished(decodeFinished(vec('handshake_messages.server_finished'), 32))), hex(vec('handshake_messages.server_finished')));
    const nst = decodeNewSessionTicket(vec('handshake_messages.new_session_ticket'));
    assert.equal(nst.lifetimeSeconds, 30);
    assert.equal(hex(encodeNewSessionTicket(nst)), hex(nst.raw));
    assert.equal(decodeKeyUpdate(encodeKeyUpdate(false)), false);
    assert.equal(hex(encodeCertificateVerify(0x0403, sig).subarray(0, 8)), '0f00004b04030047');
  });

  for (const s of samples) {
    it(`${s.name}: refuses every strict prefix and a trailing byte with a TlsError`, () => {
      for (let n = 0; n < s.bytes.length; n++) assert.throws(() => s.decode(s.bytes.subarray(0, n)), TlsError);
      const longer = new Uint8Array(s.bytes.length + 1);
      longer.set(s.bytes);
      assert.throws(() => s.decode(longer), TlsError);
    });
  }

  it('turns random bytes and mutations into a value or a TlsError, never anything else', () => {
    fc.assert(
      fc.property(fc.nat(samples.length - 1), fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), (i, random, edits) => {
        const s = samples[i]!;
        const mutated = s.bytes.slice();
        for (const [at, v] of edits) mutated[at % mutated.length] = v;
        for (const input of [random, mutated]) {
          try {
            s.decode(input);
          } catch (err) {
            if (!(err instanceof TlsError)) throw err;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips a resumable session and refuses truncations of it', () => {
    const session = { suite: 0x1302, psk: new Uint8Array(48).fill(9), issuedAtMs: 1_700_000_123_456, ageAdd: 0xfffffff0, lifetimeSeconds: 7200, sni: 'a.example.test', alpn: 'h2', maxEarlyData: 0, clientCertificates: [new Uint8Array([1, 2, 3])] };
    const bytes = encodeSession(session);
    assert.deepEqual(decodeSession(bytes), session);
    for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeSession(bytes.subarray(0, n)), TlsError);
  });
});
