import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { createSigner, type Signer, type SignerSettings } from '../../../adapters/signer/signer.js';
import { verifySignature, type SchemeName } from '../../../adapters/signer/schemes.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { generateDevKey, createDevCa, issueDevCertificate } from '../../../adapters/x509/dev-pki.js';
import { tempDir } from '../../support/processes.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const data = Buffer.from('TLS 1.3, server CertificateVerify\0' + 'x'.repeat(48));

const dir = tempDir('tlsedge-signer-unit-');
const files = {
  ec256: join(dir, 'ec256.pem'),
  ec384: join(dir, 'ec384.pem'),
  rsa: join(dir, 'rsa.pem'),
  ed25519: join(dir, 'ed25519.key'),
};
writeFileSync(files.ec256, generateDevKey('ec-p256').keyPem);
writeFileSync(files.ec384, generateDevKey('ec-p384').keyPem);
writeFileSync(files.rsa, generateDevKey('rsa2048').keyPem);
writeFileSync(files.ed25519, generateDevKey('ed25519').keyPem);

const allSchemes: Array<[string, SchemeName]> = [
  ['ec256', 'ecdsa_secp256r1_sha256'],
  ['ec384', 'ecdsa_secp384r1_sha384'],
  ['rsa', 'rsa_pss_rsae_sha256'],
  ['rsa', 'rsa_pss_rsae_sha384'],
  ['rsa', 'rsa_pss_rsae_sha512'],
  ['rsa', 'rsa_pkcs1_sha256'],
  ['rsa', 'rsa_pkcs1_sha384'],
  ['rsa', 'rsa_pkcs1_sha512'],
  ['ed25519', 'ed25519'],
];

function settings(extra: Partial<SignerSettings> = {}): SignerSettings {
  return {
    name: 'soft',
    type: 'software',
    workers: 2,
    maxQueue: 64,
    perKeyConcurrency: 4,
    timeoutMs: 5000,
    keys: Object.entries(files).map(([label, file]) => ({ label, file })),
    ...extra,
  };
}

async function open(extra: Partial<SignerSettings> = {}): Promise<Signer> {
  const signer = await createSigner(settings(extra));
  await signer.start({ waitReady: true });
  return signer;
}

describe('software signer', () => {
  for (const offload of ['libuv', 'piscina', 'inline'] as const) {
    it(`signs every scheme in TLS encoding with offload=${offload}, verified by node:crypto`, async () => {
      const signer = await open({ offload });
      try {
        const keys = await signer.keys();
        for (const [label, scheme] of allSchemes) {
          const result = await signer.sign({ key: label, scheme, data });
          const key = keys.find((k) => k.label === label)!;
          assert.ok(verifySignature(scheme, key.spki!, data, result.signature), `${label} ${scheme} verifies`);
        }
      } finally {
        await signer.close();
      }
    });
  }

  it('lists each key with its id, algorithm, schemes and public key', async () => {
    const signer = await open();
    try {
      const keys = await signer.keys();
      const byLabel = Object.fromEntries(keys.map((k) => [k.label, k]));
      assert.equal(byLabel.ec256?.algorithm, 'ec-p256');
      assert.deepEqual(byLabel.ec384?.schemes, ['ecdsa_secp384r1_sha384']);
      assert.equal(byLabel.rsa?.algorithm, 'rsa2048');
      assert.equal(byLabel.rsa?.schemes.length, 6);
      assert.deepEqual(byLabel.ed25519?.schemes, ['ed25519']);
      assert.match(byLabel.ec256!.id, /^[0-9a-f]{16}$/);
      // the same key is found by its id
      const viaId = await signer.sign({ key: `id:${byLabel.ec256!.id}`, scheme: 'ecdsa_secp256r1_sha256', data });
      assert.ok(verifySignature('ecdsa_secp256r1_sha256', byLabel.ec256!.spki!, data, viaId.signature));
    } finally {
      await signer.close();
    }
  });

  it('refuses a scheme the key cannot do, an unknown key and an unknown scheme with their codes', async () => {
    const signer = await open();
    try {
      await assert.rejects(signer.sign({ key: 'ec256', scheme: 'rsa_pss_rsae_sha256', data }), code('unsupported_scheme'));
      await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_secp384r1_sha384', data }), code('unsupported_scheme'));
      await assert.rejects(signer.sign({ key: 'nope', scheme: 'ecdsa_secp256r1_sha256', data }), code('key_not_found'));
      await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_sha1', data }), code('unsupported_scheme'));
      await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data: new Uint8Array(0) }), code('bad_request'));
    } finally {
      await signer.close();
    }
  });

  it('refuses requests beyond the queue bound with queue_full', async () => {
    const signer = await open({ workers: 1, perKeyConcurrency: 1, maxQueue: 2, offload: 'piscina' });
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => signer.sign({ key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data })));
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'one running and two queued are served');
      assert.equal(refused.length, 17);
      for (const r of refused) assert.ok(code('queue_full')((r as PromiseRejectedResult).reason));
    } finally {
      await signer.close();
    }
  });

  it('cancels a waiting request when the requester aborts', async () => {
    const signer = await open({ workers: 1, perKeyConcurrency: 1, offload: 'piscina' });
    try {
      const first = signer.sign({ key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data });
      const controller = new AbortController();
      const second = signer.sign({ key: 'rsa', scheme: 'rsa_pss_rsae_sha256', data, signal: controller.signal });
      controller.abort();
      await assert.rejects(second, code('cancelled'));
      await first;
    } finally {
      await signer.close();
    }
  });

  it('answers signer_unavailable after close', async () => {
    const signer = await open();
    await signer.close();
    await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data }), code('signer_unavailable'));
  });
});

describe('software key files', () => {
  let ca: Awaited<ReturnType<typeof createDevCa>>;
  before(async () => {
    ca = await createDevCa();
  });
  after(() => {
    delete process.env.TLSEDGE_TEST_KEY_PASS;
  });

  it('reads encrypted PKCS#8 (passphrase_env), PKCS#1, SEC1 and DER keys', async () => {
    process.env.TLSEDGE_TEST_KEY_PASS = 'correct horse';
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = join(dir, 'enc.pem');
    writeFileSync(encrypted, rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' }));
    const pkcs1 = join(dir, 'pkcs1.pem');
    writeFileSync(pkcs1, rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const sec1 = join(dir, 'sec1.pem');
    writeFileSync(sec1, ec.privateKey.export({ type: 'sec1', format: 'pem' }));
    const der = join(dir, 'key.der');
    writeFileSync(der, ec.privateKey.export({ type: 'pkcs8', format: 'der' }));
    const signer = await open({
      keys: [
        { label: 'enc', file: encrypted, passphraseEnv: 'TLSEDGE_TEST_KEY_PASS' },
        { label: 'pkcs1', file: pkcs1 },
        { label: 'sec1', file: sec1 },
        { label: 'der', file: der },
      ],
    });
    try {
      const keys = await signer.keys();
      for (const [label, scheme] of [['enc', 'rsa_pss_rsae_sha256'], ['pkcs1', 'rsa_pkcs1_sha256'], ['sec1', 'ecdsa_secp256r1_sha256'], ['der', 'ecdsa_secp256r1_sha256']] as const) {
        const r = await signer.sign({ key: label, scheme, data });
        assert.ok(verifySignature(scheme, keys.find((k) => k.label === label)!.spki!, data, r.signature), label);
      }
    } finally {
      await signer.close();
    }
  });

  it('reads a PKCS#12 file with its certificate, and refuses a wrong password with bad_pin', async () => {
    const leaf = await issueDevCertificate(ca, { names: ['p12.test'], keyType: 'rsa2048' });
    // node-forge writes PKCS#12 for RSA keys (3DES + SHA-1 MAC, what older tools produce).
    const forgeKey = forge.pki.privateKeyFromPem(createPrivateKey(leaf.keyPem).export({ type: 'pkcs1', format: 'pem' }) as string);
    const forgeCert = forge.pki.certificateFromPem(leaf.certPem);
    const p12 = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, [forgeCert], 'p12 pass', { algorithm: '3des' })).getBytes();
    const file = join(dir, 'leaf.p12');
    writeFileSync(file, Buffer.from(p12, 'binary'));
    process.env.TLSEDGE_TEST_KEY_PASS = 'p12 pass';
    const signer = await open({ keys: [{ label: 'p12', file, passphraseEnv: 'TLSEDGE_TEST_KEY_PASS' }] });
    try {
      const [key] = await signer.keys();
      assert.ok(key?.certificate, 'the certificate comes with the key');
      // node-forge re-encodes certificates it writes, so compare what the certificate says.
      const cert = new X509Certificate(key.certificate);
      assert.equal(cert.subjectAltName, 'DNS:p12.test');
      assert.ok(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(key.spki!));
      const r = await signer.sign({ key: 'p12', scheme: 'rsa_pss_rsae_sha256', data });
      assert.ok(verifySignature('rsa_pss_rsae_sha256', key.spki!, data, r.signature));
    } finally {
      await signer.close();
    }
    process.env.TLSEDGE_TEST_KEY_PASS = 'hunter2-guess';
    const bad = await createSigner(settings({ keys: [{ label: 'p12', file, passphraseEnv: 'TLSEDGE_TEST_KEY_PASS' }] }));
    await assert.rejects(bad.start({ waitReady: true }), (e: unknown) => code('bad_pin')(e) && !(e as Error).message.includes('hunter2-guess'));
    await bad.close();
  });

  it('picks up a certificate appended to a PEM key file', async () => {
    const leaf = await issueDevCertificate(ca, { names: ['pem.test'] });
    const file = join(dir, 'with-cert.pem');
    writeFileSync(file, leaf.keyPem + leaf.certPem);
    const signer = await open({ keys: [{ label: 'k', file }] });
    try {
      const [key] = await signer.keys();
      assert.ok(key?.certificate?.equals(leaf.certDer));
    } finally {
      await signer.close();
    }
  });

  it('fails to start with key_not_found for a missing file', async () => {
    const signer = await createSigner(settings({ keys: [{ label: 'gone', file: join(dir, 'missing.pem') }] }));
    await assert.rejects(signer.start({ waitReady: true }), code('key_not_found'));
    assert.equal(signer.status().state, 'failed');
    await signer.close();
  });
});
