// PKCS#11 signing against a real SoftHSM2 token: every scheme verifies with node:crypto, and each
// failure (wrong PIN, missing token, missing key, unsupported scheme) has its own code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { applySignerEnv } from '../../../adapters/signer/env.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { createSigner, type Signer, type SignerSettings } from '../../../adapters/signer/signer.js';
import { verifySignature, type SchemeName } from '../../../adapters/signer/schemes.js';
import { formatPkcs11Uri } from '../../../adapters/signer/pkcs11/uri.js';
import { createDevCa, issueDevCertificate } from '../../../adapters/x509/dev-pki.js';
import { missingSoftHsm, startSoftHsm, type SoftHsmToken } from '../../support/softhsm.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const data = Buffer.from(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'h'.repeat(32));

const expected: Array<[string, SchemeName]> = [
  ['ec256', 'ecdsa_secp256r1_sha256'],
  ['ec384', 'ecdsa_secp384r1_sha384'],
  ['rsa2048', 'rsa_pss_rsae_sha256'],
  ['rsa2048', 'rsa_pss_rsae_sha384'],
  ['rsa2048', 'rsa_pss_rsae_sha512'],
  ['rsa2048', 'rsa_pkcs1_sha256'],
  ['rsa2048', 'rsa_pkcs1_sha384'],
  ['rsa2048', 'rsa_pkcs1_sha512'],
  ['ed25519', 'ed25519'],
];

describe('pkcs11 signer on SoftHSM2', { skip: missingSoftHsm() }, () => {
  let token: SoftHsmToken;
  let signer: Signer;
  const settings = (extra: Partial<SignerSettings> = {}): SignerSettings => ({
    name: 'hsm',
    type: 'pkcs11',
    module: token.module,
    token: token.token,
    pinEnv: 'TLSEDGE_TEST_HSM_PIN',
    workers: 2,
    maxQueue: 64,
    perKeyConcurrency: 2,
    timeoutMs: 10_000,
    keys: [],
    ...extra,
  });

  before(async () => {
    token = await startSoftHsm();
    applySignerEnv([{ name: 'hsm', env: token.env }]);
    process.env.TLSEDGE_TEST_HSM_PIN = token.pin;
    signer = await createSigner(settings());
    await signer.start({ waitReady: true });
  });
  after(async () => {
    await signer?.close();
    await token?.stop();
  });

  it('signs with every scheme the token keys support, each verified by node:crypto', async () => {
    const keys = await signer.keys();
    for (const [label, scheme] of expected) {
      const key = keys.find((k) => k.label === label);
      assert.ok(key?.spki, `key ${label} is listed with its public key`);
      assert.ok(key.schemes.includes(scheme), `${label} offers ${scheme}`);
      const result = await signer.sign({ key: label, scheme, data });
      assert.ok(verifySignature(scheme, key.spki, data, result.signature), `${label} ${scheme} verifies`);
    }
  });

  it('finds keys by id: and by RFC 7512 URI as well as by label', async () => {
    const keys = await signer.keys();
    const ec = keys.find((k) => k.label === 'ec256')!;
    assert.equal(ec.id, '01');
    for (const ref of ['id:01', formatPkcs11Uri({ token: token.token, object: 'ec256', type: 'private' }), 'pkcs11:id=%01']) {
      const r = await signer.sign({ key: ref, scheme: 'ecdsa_secp256r1_sha256', data });
      assert.ok(verifySignature('ecdsa_secp256r1_sha256', ec.spki!, data, r.signature), ref);
    }
  });

  it('reports that token keys were generated inside and are not extractable', async () => {
    for (const key of await signer.keys()) {
      assert.equal(key.facts?.local, true, `${key.label} CKA_LOCAL`);
      assert.equal(key.facts?.neverExtractable, true, `${key.label} CKA_NEVER_EXTRACTABLE`);
      assert.equal(key.facts?.sensitive, true, `${key.label} CKA_SENSITIVE`);
    }
  });

  it('answers key_not_found for a missing label and unsupported_scheme for a mismatched scheme', async () => {
    await assert.rejects(signer.sign({ key: 'no-such-key', scheme: 'ecdsa_secp256r1_sha256', data }), (e: unknown) => code('key_not_found')(e) && /no-such-key/.test((e as Error).message));
    await assert.rejects(signer.sign({ key: 'ec256', scheme: 'rsa_pss_rsae_sha256', data }), code('unsupported_scheme'));
  });

  it('generates keys inside the token that sign at once', async () => {
    for (const type of ['ec-p256', 'rsa2048'] as const) {
      const key = await signer.generateKey(`gen-${type}`, type);
      assert.equal(key.facts?.local, true);
      assert.equal(key.facts?.extractable, false);
      const scheme = type === 'ec-p256' ? 'ecdsa_secp256r1_sha256' : 'rsa_pss_rsae_sha256';
      const r = await signer.sign({ key: `gen-${type}`, scheme, data });
      assert.ok(verifySignature(scheme, key.spki!, data, r.signature));
    }
    await assert.rejects(signer.generateKey('gen-ec-p256', 'ec-p256'), code('bad_request'));
  });

  it('imports a key with its certificate, then lists the certificate with the key', async () => {
    const ca = await createDevCa();
    const leaf = await issueDevCertificate(ca, { names: ['import.test'] });
    const key = await signer.importKey('imported', leaf.privateKey.export({ type: 'pkcs8', format: 'der' }), leaf.certDer);
    assert.ok(key.certificate?.equals(leaf.certDer));
    assert.equal(key.facts?.local, false, 'an imported key was not generated in the token');
    const r = await signer.sign({ key: 'imported', scheme: 'ecdsa_secp256r1_sha256', data });
    assert.ok(verifySignature('ecdsa_secp256r1_sha256', leaf.spki, data, r.signature));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await signer.importKey('imported-rsa', rsa.privateKey.export({ type: 'pkcs8', format: 'der' }));
    const r2 = await signer.sign({ key: 'imported-rsa', scheme: 'rsa_pss_rsae_sha384', data });
    assert.ok(verifySignature('rsa_pss_rsae_sha384', rsa.publicKey, data, r2.signature));
  });

  it('signs many requests concurrently across workers without mixing them up', async () => {
    const keys = await signer.keys();
    const jobs = Array.from({ length: 60 }, (_, i) => { // within max_queue (64): more would be refused
      const [label, scheme] = expected[i % expected.length]!;
      const payload = Buffer.from(`request ${i}`);
      return signer.sign({ key: label, scheme, data: payload }).then((r) => verifySignature(scheme, keys.find((k) => k.label === label)!.spki!, payload, r.signature));
    });
    assert.deepEqual(await Promise.all(jobs), jobs.map(() => true));
  });
});
