import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NodeCryptoProvider } from '../../../../adapters/tls/crypto/node-provider.js';
import { SignerError, describeKey, softwareSigner } from '../../../../adapters/tls/crypto/software-signer.js';
import { TicketKeyRing } from '../../../../adapters/tls/crypto/ticket-keys.js';
import { verifyChain } from '../../../../adapters/tls/crypto/chain.js';
import { NamedGroup, SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { testPki } from '../support/pki.js';
import { hex } from '../support/hello-builder.js';
import { missingTools } from '../../../support/requirements.js';

const p = new NodeCryptoProvider();

describe('NodeCryptoProvider key exchange', () => {
  for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
    it(`agrees on one secret in group 0x${group.toString(16)} and refuses malformed peer values`, () => {
      const a = p.generateKeyShare(group);
      const b = p.generateKeyShare(group);
      assert.equal(hex(a.agree(b.publicKey)!), hex(b.agree(a.publicKey)!));
      assert.equal(a.agree(b.publicKey.subarray(1)), undefined);
      const offCurve = b.publicKey.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      if (group !== NamedGroup.x25519) assert.equal(a.agree(offCurve), undefined);
    });
  }

  it('refuses the all-zero X25519 result of a low-order point (RFC 8446 §7.4.2)', () => {
    assert.equal(p.generateKeyShare(NamedGroup.x25519).agree(new Uint8Array(32)), undefined);
  });

  it('refuses compressed P-256 points', () => {
    const b = p.generateKeyShare(NamedGroup.secp256r1).publicKey;
    const compressed = new Uint8Array(33);
    compressed[0] = 2 + (b[64]! & 1);
    compressed.set(b.subarray(1, 33), 1);
    assert.equal(p.generateKeyShare(NamedGroup.secp256r1).agree(compressed), undefined);
  });

  it('authenticates AEAD records and refuses tampering, for each suite cipher', () => {
    for (const [name, len] of [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]] as const) {
      const aead = p.aead(name, new Uint8Array(randomBytes(len)));
      const nonce = new Uint8Array(12);
      const sealed = aead.seal(nonce, new Uint8Array([1]), new Uint8Array([5, 6, 7]));
      assert.deepEqual(aead.open(nonce, new Uint8Array([1]), sealed), new Uint8Array([5, 6, 7]));
      assert.equal(aead.open(nonce, new Uint8Array([2]), sealed), undefined);
      assert.equal(aead.open(nonce, new Uint8Array([1]), sealed.subarray(0, 5)), undefined);
    }
  });

  it('seals a plaintext given in parts into a buffer exactly as it seals it whole', () => {
    for (const [name, len] of [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]] as const) {
      const aead = p.aead(name, new Uint8Array(randomBytes(len)));
      const nonce = new Uint8Array(randomBytes(12));
      const plaintext = new Uint8Array(randomBytes(300));
      const whole = aead.seal(nonce, new Uint8Array([9, 9]), plaintext);
      for (const cut of [0, 1, 150, 299, 300]) {
        const into = new Uint8Array(7 + whole.length + 3).fill(0xee);
        aead.sealInto(nonce, new Uint8Array([9, 9]), [plaintext.subarray(0, cut), plaintext.subarray(cut)], into, 7);
        assert.deepEqual(into.subarray(7, 7 + whole.length), whole, `${name}, cut at ${cut}`);
        assert.ok(into.subarray(0, 7).every((b) => b === 0xee) && into.subarray(7 + whole.length).every((b) => b === 0xee), 'nothing written outside');
      }
    }
  });
});

describe('softwareSigner', { skip: missingTools('openssl') }, () => {
  for (const kind of ['p256', 'p384', 'rsa2048', 'ed25519'] as const) {
    for (const threadPool of ['rsa', 'always'] as const) {
      it(`${kind} (threadPool: ${threadPool}) signs every scheme it advertises, verifiably`, async () => {
        const issued = testPki().server[kind];
        const d = describeKey(kind, issued.key);
        const sign = softwareSigner(new Map([[kind, issued.key]]), { threadPool });
        const content = new Uint8Array(randomBytes(130));
        for (const scheme of d.schemes) {
          const signature = await sign({ keyId: kind, scheme, content });
          assert.ok(p.verifySignature(scheme, issued.chain[0]!, content, signature), `scheme 0x${scheme.toString(16)}`);
        }
      });
    }
  }

  it('refuses an unknown key id with SignerError unknown_key', async () => {
    await assert.rejects(softwareSigner(new Map())({ keyId: 'nope', scheme: SignatureScheme.ed25519, content: new Uint8Array(1) }), (e: unknown) => e instanceof SignerError && e.code === 'unknown_key');
  });

  it('describes keys with the TLS 1.3 schemes they can produce', () => {
    const pki = testPki();
    assert.deepEqual(describeKey('x', pki.server.p256.key).schemes, [SignatureScheme.ecdsa_secp256r1_sha256]);
    assert.deepEqual(describeKey('x', pki.server.rsa2048.key).schemes, [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]);
    assert.equal(describeKey('x', pki.server.ed25519.key).algorithm, 'ed25519');
  });

  it('does not accept a P-256 signature under the P-384 scheme (curve bound to scheme)', async () => {
    const issued = testPki().server.p256;
    const content = new Uint8Array(10);
    const signature = await softwareSigner(new Map([['k', issued.key]]))({ keyId: 'k', scheme: SignatureScheme.ecdsa_secp256r1_sha256, content });
    assert.equal(p.verifySignature(SignatureScheme.ecdsa_secp384r1_sha384, issued.chain[0]!, content, signature), false);
  });
});

describe('verifyChain', { skip: missingTools('openssl') }, () => {
  it('accepts a chain issued by an anchor and refuses others with the matching code', () => {
    const pki = testPki();
    assert.deepEqual(verifyChain(pki.client.chain, [pki.clientCaDer], Date.now()), { ok: true });
    assert.deepEqual(verifyChain(pki.client.chain.slice(0, 1), [pki.clientCaDer], Date.now()), { ok: true });
    assert.equal((verifyChain(pki.strangerClient.chain, [pki.clientCaDer], Date.now()) as { code: string }).code, 'unknown_ca');
    assert.equal((verifyChain([new Uint8Array([0x30, 0x03, 1, 2, 3])], [pki.clientCaDer], Date.now()) as { code: string }).code, 'bad_certificate');
    assert.equal((verifyChain(pki.client.chain, [pki.clientCaDer], Date.now() + 20 * 365 * 86400_000) as { code: string }).code, 'certificate_expired');
    // a leaf followed by a CA that did not sign it
    assert.equal((verifyChain([pki.strangerClient.chain[0]!, pki.clientCaDer], [pki.clientCaDer], Date.now()) as { code: string }).code, 'bad_certificate');
    // extra certificates after an anchored one do not matter
    assert.deepEqual(verifyChain([pki.client.chain[0]!, pki.server.p256.chain[1]!], [pki.clientCaDer], Date.now()), { ok: true });
  });
});

describe('TicketKeyRing', () => {
  it('seals with the first key, opens with any, and names the key', () => {
    const k1 = new Uint8Array(randomBytes(48));
    const k2 = new Uint8Array(randomBytes(48));
    const ring = new TicketKeyRing(k1);
    const t1 = ring.seal(new Uint8Array([1, 2, 3]))!;
    assert.equal(ring.keyNameOf(t1), hex(k1.subarray(0, 16)));
    ring.setKeys(new Uint8Array([...k2, ...k1]));
    assert.deepEqual(ring.open(t1), new Uint8Array([1, 2, 3]), 'a retired key still opens');
    const t2 = ring.seal(new Uint8Array([4]))!;
    assert.equal(ring.keyNameOf(t2), hex(k2.subarray(0, 16)));
    ring.setKeys(k2);
    assert.equal(ring.open(t1), undefined, 'a dropped key no longer opens');
    assert.equal(ring.keyNameOf(t1), undefined);
  });

  it('refuses tampered, truncated and foreign tickets', () => {
    const ring = new TicketKeyRing(new Uint8Array(randomBytes(48)));
    const t = ring.seal(new Uint8Array(40))!;
    const tampered = t.slice();
    tampered[30]! ^= 1;
    assert.equal(ring.open(tampered), undefined);
    assert.equal(ring.open(t.subarray(0, 40)), undefined);
    assert.equal(ring.open(new Uint8Array(randomBytes(100))), undefined);
    assert.equal(new TicketKeyRing().seal(new Uint8Array(1)), undefined, 'no key: no ticket');
    assert.throws(() => ring.setKeys(new Uint8Array(47)), RangeError);
  });
});
