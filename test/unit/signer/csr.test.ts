import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCsr } from '../../../adapters/x509/csr.js';
import { buildCertificate } from '../../../adapters/x509/certificate.js';
import { encodeDer, parseDer, type Asn1 } from '../../../adapters/x509/der.js';
import { generateDevKey } from '../../../adapters/x509/dev-pki.js';
import { keyObjectSigner } from '../../../adapters/x509/key-signer.js';
import { signerCertificateSigner } from '../../../adapters/signer/certificate-signer.js';
import { createSigner } from '../../../adapters/signer/signer.js';
import { tempDir } from '../../support/processes.js';

describe('PKCS#10 certification requests', () => {
  for (const type of ['ec-p256', 'ec-p384', 'rsa2048', 'ed25519'] as const) {
    it(`builds a ${type} CSR whose self-signature verifies and that asks for the subjectAltNames`, async () => {
      const key = generateDevKey(type);
      const csr = await buildCsr({ subject: { commonName: 'csr.test', organization: 'tlsedge' }, subjectPublicKey: key.spki, dnsNames: ['csr.test', '*.csr.test'], ipAddresses: ['127.0.0.1'] }, keyObjectSigner(key.privateKey));
      assert.match(csr.pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
      const [info, , signature] = parseDer(csr.der).value as Asn1[];
      const infoDer = encodeDer(info!);
      const sig = Buffer.from((signature!.value as string).slice(1), 'binary');
      const hash = type === 'ed25519' ? null : type === 'ec-p384' ? 'sha384' : 'sha256';
      assert.ok(verify(hash, infoDer, key.publicKey, sig), 'the request is signed by its own key');
      const fields = info!.value as Asn1[];
      assert.ok(encodeDer(fields[2]!).equals(key.spki), 'it carries the public key');
      const text = infoDer.toString('binary');
      assert.ok(text.includes('csr.test') && text.includes('*.csr.test'), 'it carries the DNS names');
    });
  }
});

describe('certificates signed by a Signer key', () => {
  it('builds a certificate through the signer that node:crypto verifies against the key', async () => {
    const dir = tempDir('tlsedge-csr-unit-');
    const file = join(dir, 'k.pem');
    const key = generateDevKey('rsa2048');
    writeFileSync(file, key.keyPem);
    const signer = await createSigner({ name: 's', type: 'software', workers: 1, maxQueue: 4, perKeyConcurrency: 1, timeoutMs: 5000, keys: [{ label: 'k', file }] });
    await signer.start({ waitReady: true });
    try {
      const { certSigner, key: info } = await signerCertificateSigner(signer, 'k');
      assert.equal(certSigner.algorithm, 'rsa-pkcs1-sha256');
      const subject = { commonName: 'signed.test' };
      const cert = await buildCertificate({ subject, issuer: subject, subjectPublicKey: info.spki!, issuerPublicKey: info.spki!, dnsNames: ['signed.test'] }, certSigner);
      const x509 = new X509Certificate(cert.der);
      assert.ok(x509.verify(key.publicKey));
      assert.equal(x509.subjectAltName, 'DNS:signed.test');
    } finally {
      await signer.close();
    }
  });
});
