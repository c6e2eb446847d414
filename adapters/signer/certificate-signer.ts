// Bridges a Signer key to the x509 builder's CertificateSigner: certificates and CSRs signed by a
// key that stays in its token. X.509 wants ECDSA in DER and RSA in PKCS#1 v1.5 (RFC 5758, RFC 8017).
import type { CertificateSigner, CertSignatureAlgorithm } from '../x509/signature-algorithms.js';
import { SignerError } from './errors.js';
import type { KeyInfo } from './keys.js';
import type { SchemeName } from './schemes.js';
import type { Signer } from './signer.js';

const schemeFor: Record<CertSignatureAlgorithm, SchemeName> = {
  'ecdsa-sha256': 'ecdsa_secp256r1_sha256',
  'ecdsa-sha384': 'ecdsa_secp384r1_sha384',
  'rsa-pkcs1-sha256': 'rsa_pkcs1_sha256',
  'rsa-pkcs1-sha384': 'rsa_pkcs1_sha384',
  ed25519: 'ed25519',
};

export function certificateAlgorithmFor(key: KeyInfo): CertSignatureAlgorithm {
  if (key.algorithm === 'ec-p256') return 'ecdsa-sha256';
  if (key.algorithm === 'ec-p384') return 'ecdsa-sha384';
  if (key.algorithm === 'ed25519') return 'ed25519';
  return 'rsa-pkcs1-sha256';
}

/** A CertificateSigner for `keyRef` on `signer` (the key's natural algorithm unless given). */
export async function signerCertificateSigner(signer: Signer, keyRef: string, algorithm?: CertSignatureAlgorithm): Promise<{ certSigner: CertificateSigner; key: KeyInfo }> {
  const key = await signer.resolve(keyRef);
  const alg = algorithm ?? certificateAlgorithmFor(key);
  const scheme = schemeFor[alg];
  if (!key.schemes.includes(scheme)) {
    throw new SignerError('unsupported_scheme', `key ${JSON.stringify(key.label)} (${key.algorithm}) cannot sign certificates with ${alg}`);
  }
  if (!key.spki) throw new SignerError('key_not_found', `key ${JSON.stringify(key.label)} has no public key on signer ${signer.name}`);
  // Sign by id from now on: labels may be ambiguous, ids (CKA_ID) are what the key list is keyed by.
  const ref = key.id.startsWith('label:') ? key.label : `id:${key.id}`;
  return {
    key,
    certSigner: {
      algorithm: alg,
      // Certificate signing is rare and may wait for a busy TPM: a generous deadline.
      sign: async (tbs) => (await signer.sign({ key: ref, scheme, data: tbs, deadlineMs: 60_000 })).signature,
    },
  };
}
