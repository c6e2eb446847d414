import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateEncrypt, sign } from 'node:crypto';
import { digest, digestInfo, ecdsaRawToDer, schemeByCode, schemeNames, schemeSpec, verifySignature } from '../../../adapters/signer/schemes.js';
import { SignatureScheme } from '../../../adapters/tls/wire/enums.js';
import { SignerError } from '../../../adapters/signer/errors.js';

const data = Buffer.from('content to be signed: 64 spaces, context, 0, transcript hash');

describe('signer schemes', () => {
  it('turns raw r‖s ECDSA signatures into DER that node:crypto verifies (P-256 and P-384)', () => {
    for (const [curve, hash, scheme] of [['P-256', 'sha256', 'ecdsa_secp256r1_sha256'], ['P-384', 'sha384', 'ecdsa_secp384r1_sha384']] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      // Many signatures so that r or s with a high bit or leading zero bytes occur.
      for (let i = 0; i < 64; i++) {
        const raw = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = ecdsaRawToDer(raw);
        assert.equal(der[0], 0x30);
        assert.ok(verifySignature(scheme, publicKey, data, der), `${curve} signature ${i} verifies`);
      }
    }
  });

  it('rejects an odd-length raw ECDSA signature', () => {
    assert.throws(() => ecdsaRawToDer(Buffer.alloc(63)), (e: unknown) => e instanceof SignerError && e.code === 'internal');
  });

  it('builds PKCS#1 v1.5 DigestInfo that verifies as rsa_pkcs1 for each hash', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const [hash, scheme] of [['sha256', 'rsa_pkcs1_sha256'], ['sha384', 'rsa_pkcs1_sha384'], ['sha512', 'rsa_pkcs1_sha512']] as const) {
      // CKM_RSA_PKCS does exactly this: PKCS#1 type 1 padding around the DigestInfo.
      const signature = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest(hash, data)));
      assert.ok(verifySignature(scheme, publicKey, data, signature), scheme);
    }
  });

  it('maps every scheme name to its IANA code point and back', () => {
    for (const name of schemeNames) {
      const spec = schemeSpec(name);
      assert.equal(spec.code, SignatureScheme[name]);
      assert.equal(schemeByCode(spec.code)?.name, name);
    }
  });

  it('refuses unknown scheme names with unsupported_scheme', () => {
    assert.throws(() => schemeSpec('rsa_pss_pss_sha256'), (e: unknown) => e instanceof SignerError && e.code === 'unsupported_scheme');
  });
});
