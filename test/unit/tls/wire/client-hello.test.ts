import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClientHello, encodeClientHello, truncatedClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { ExtensionType, NamedGroup, SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { TlsError } from '../../../../adapters/tls/wire/errors.js';
import { buildHello, hex, helloExtensions } from '../support/hello-builder.js';
import { vec } from '../support/rfc8448.js';

function decodeError(bytes: Uint8Array): TlsError {
  try {
    decodeClientHello(bytes);
  } catch (err) {
    assert.ok(err instanceof TlsError, `expected TlsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the hello to be refused');
}

describe('decodeClientHello', () => {
  it('decodes the RFC 8448 §3 ClientHello field by field', () => {
    const raw = vec('handshake_messages.client_hello');
    const h = decodeClientHello(raw);
    assert.equal(h.raw, raw);
    assert.equal(h.legacyVersion, 0x0303);
    assert.equal(hex(h.random), 'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    assert.equal(h.legacySessionId.length, 0);
    assert.deepEqual(h.cipherSuites, [0x1301, 0x1303, 0x1302]);
    assert.deepEqual(h.compressionMethods, [0]);
    assert.equal(h.serverName, 'server');
    assert.deepEqual(h.supportedVersions, [0x0304]);
    assert.deepEqual(h.supportedGroups, [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]);
    assert.equal(h.keyShares?.length, 1);
    assert.equal(h.keyShares?.[0]?.group, NamedGroup.x25519);
    assert.equal(hex(h.keyShares![0]!.keyExchange), hex(vec('client_ephemeral_x25519.public_key')));
    assert.equal(h.signatureAlgorithms?.[0], SignatureScheme.ecdsa_secp256r1_sha256);
    assert.equal(h.signatureAlgorithms?.length, 15);
    assert.deepEqual(h.pskKeyExchangeModes, [1]);
    assert.equal(h.recordSizeLimit, 0x4001);
    assert.deepEqual(h.sessionTicket, new Uint8Array(0));
    assert.deepEqual(h.renegotiationInfo, new Uint8Array(0));
    assert.equal(h.earlyData, false);
    assert.deepEqual(
      h.extensions.map((e) => e.type),
      [0, 0xff01, 10, 35, 51, 43, 13, 45, 28],
    );
    // offsets point at each extension header within the message
    for (const e of h.extensions) {
      assert.equal((raw[e.offset]! << 8) | raw[e.offset + 1]!, e.type);
    }
  });

  it('locates the PSK binders so the truncated hello matches RFC 8448 §4', () => {
    const h = decodeClientHello(vec('resumed_0rtt.client_hello'));
    assert.equal(h.earlyData, true);
    assert.equal(h.preSharedKey?.identities.length, 1);
    assert.equal(h.preSharedKey?.identities[0]?.obfuscatedTicketAge, 0xfad6aacb);
    assert.equal(h.preSharedKey?.identities[0]?.identity.length, 178);
    assert.equal(hex(h.preSharedKey!.binders[0]!), hex(vec('resumed_0rtt.binder.binder')));
    assert.equal(hex(truncatedClientHello(h)), hex(vec('resumed_0rtt.client_hello_truncated')));
  });

  it('round-trips what encodeClientHello writes', () => {
    const raw = buildHello({ serverName: 'Example.TEST', alpn: ['h2', 'http/1.1'] });
    const h = decodeClientHello(raw);
    assert.equal(h.serverName, 'example.test');
    assert.deepEqual(h.alpn, ['h2', 'http/1.1']);
    const again = encodeClientHello({
      legacyVersion: h.legacyVersion,
      random: h.random,
      legacySessionId: h.legacySessionId,
      cipherSuites: h.cipherSuites,
      compressionMethods: h.compressionMethods,
      extensions: h.extensions.map((e) => ({ type: e.type, data: e.data })),
    });
    assert.equal(hex(again), hex(raw));
  });

  it('accepts a TLS 1.2 hello without an extensions block', () => {
    const raw = encodeClientHello({ random: new Uint8Array(32), cipherSuites: [0xc02f] });
    const h = decodeClientHello(raw);
    assert.equal(h.hasExtensionsBlock, false);
    assert.equal(h.extensions.length, 0);
    assert.equal(h.supportedVersions, undefined);
  });

  it('refuses every strict prefix with a typed error', () => {
    const raw = vec('handshake_messages.client_hello');
    for (let n = 0; n < raw.length; n++) {
      const err = decodeError(raw.subarray(0, n));
      assert.ok(['truncated', 'trailing_bytes', 'length_out_of_range', 'decode_error'].includes(err.code), `prefix ${n}: ${err.code}`);
    }
  });

  it('refuses every prefix whose length field is patched to match (no silent truncation)', () => {
    const raw = vec('handshake_messages.client_hello');
    for (let n = 4; n < raw.length; n++) {
      const cut = raw.slice(0, n);
      const len = n - 4;
      cut[1] = len >> 16;
      cut[2] = (len >> 8) & 0xff;
      cut[3] = len & 0xff;
      let ok = false;
      try {
        decodeClientHello(cut);
        ok = true;
      } catch (err) {
        assert.ok(err instanceof TlsError);
      }
      // Only a cut exactly at the end of the compression methods is a valid (extension-less) hello.
      if (ok) assert.equal(n, 4 + 2 + 32 + 1 + 2 + 6 + 2);
    }
  });

  it('refuses trailing bytes after the message', () => {
    const raw = vec('handshake_messages.client_hello');
    const longer = new Uint8Array(raw.length + 1);
    longer.set(raw);
    assert.equal(decodeError(longer).code, 'trailing_bytes');
  });

  it('refuses a handshake type other than client_hello with unexpected_message', () => {
    const raw = vec('handshake_messages.client_hello').slice();
    raw[0] = 2;
    assert.equal(decodeError(raw).code, 'unexpected_message');
  });

  it('refuses a duplicated extension with duplicate_extension (illegal_parameter alert)', () => {
    const ext = helloExtensions({ serverName: 'a.test' });
    const raw = buildHello({ extensions: [...ext, ext[0]!] });
    const err = decodeError(raw);
    assert.equal(err.code, 'duplicate_extension');
    assert.equal(err.alert, 47);
  });

  it('refuses pre_shared_key that is not the last extension with illegal_parameter', () => {
    const ext = helloExtensions({
      psk: { identities: [{ identity: new Uint8Array(20), obfuscatedTicketAge: 1 }], binders: [new Uint8Array(32)] },
    });
    const psk = ext.pop()!;
    const raw = buildHello({ extensions: [...ext.slice(0, 2), psk, ...ext.slice(2)] });
    assert.equal(decodeError(raw).code, 'illegal_parameter');
  });

  it('refuses an extension the ClientHello may not carry (oid_filters) with illegal_parameter', () => {
    const raw = buildHello({ extra: [{ type: ExtensionType.oid_filters, data: new Uint8Array([0, 0]) }] });
    assert.equal(decodeError(raw).code, 'illegal_parameter');
  });

  it('ignores unknown and GREASE extensions but keeps them raw in order', () => {
    const raw = buildHello({ extra: [{ type: 0x0a0a, data: new Uint8Array(0) }, { type: 0x4469, data: new Uint8Array([1, 2]) }] });
    const h = decodeClientHello(raw);
    const types = h.extensions.map((e) => e.type);
    assert.deepEqual(types.slice(-2), [0x0a0a, 0x4469]);
  });

  it('refuses a session id longer than 32 bytes', () => {
    const raw = encodeClientHello({ random: new Uint8Array(32), legacySessionId: new Uint8Array(33), cipherSuites: [0x1301] });
    assert.equal(decodeError(raw).code, 'length_out_of_range');
  });

  it('refuses an odd-length cipher suite list with decode_error', () => {
    const raw = encodeClientHello({ random: new Uint8Array(32), cipherSuites: [0x1301] }).slice();
    // cipher_suites length field sits after version(2) random(32) sid(1): patch 2 → 3 and fix lengths
    const patched = new Uint8Array(raw.length + 1);
    patched.set(raw.subarray(0, 4 + 2 + 32 + 1));
    patched[4 + 2 + 32 + 1] = 0;
    patched[4 + 2 + 32 + 2] = 3;
    patched.set([0x13, 0x01, 0x00], 4 + 2 + 32 + 3);
    patched.set(raw.subarray(4 + 2 + 32 + 1 + 4), 4 + 2 + 32 + 6);
    const len = patched.length - 4;
    patched[1] = len >> 16;
    patched[2] = (len >> 8) & 0xff;
    patched[3] = len & 0xff;
    assert.equal(decodeError(patched).code, 'decode_error');
  });
});
