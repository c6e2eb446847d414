// X.509 / PKCS#10 signature algorithms (RFC 5758, RFC 8017, RFC 8410) and how each is produced:
// the builder only needs an AlgorithmIdentifier and a `sign(tbs)` that returns the DER-ready value.
import { nullValue, oid, seq, type Asn1 } from './der.js';

export type CertSignatureAlgorithm = 'ecdsa-sha256' | 'ecdsa-sha384' | 'rsa-pkcs1-sha256' | 'rsa-pkcs1-sha384' | 'ed25519';

const identifiers: Record<CertSignatureAlgorithm, { oid: string; nullParams: boolean; hash: 'sha256' | 'sha384' | null }> = {
  'ecdsa-sha256': { oid: '1.2.840.10045.4.3.2', nullParams: false, hash: 'sha256' },
  'ecdsa-sha384': { oid: '1.2.840.10045.4.3.3', nullParams: false, hash: 'sha384' },
  'rsa-pkcs1-sha256': { oid: '1.2.840.113549.1.1.11', nullParams: true, hash: 'sha256' },
  'rsa-pkcs1-sha384': { oid: '1.2.840.113549.1.1.12', nullParams: true, hash: 'sha384' },
  ed25519: { oid: '1.3.101.112', nullParams: false, hash: null },
};

export function algorithmIdentifier(alg: CertSignatureAlgorithm): Asn1 {
  const id = identifiers[alg];
  return seq(id.nullParams ? [oid(id.oid), nullValue()] : [oid(id.oid)]);
}

/** The digest the algorithm signs with (null for Ed25519, which signs the message itself). */
export function digestOf(alg: CertSignatureAlgorithm): 'sha256' | 'sha384' | null {
  return identifiers[alg].hash;
}

/**
 * Signs a to-be-signed structure. ECDSA results are DER `Ecdsa-Sig-Value` (as X.509 requires);
 * a PKCS#11 backend that returns raw r‖s must convert before answering.
 */
export interface CertificateSigner {
  readonly algorithm: CertSignatureAlgorithm;
  sign(tbs: Uint8Array): Promise<Uint8Array>;
}

/** The natural algorithm for a key type. */
export function defaultAlgorithmFor(keyType: string, namedCurve?: string): CertSignatureAlgorithm {
  if (keyType === 'ec') return namedCurve === 'secp384r1' || namedCurve === 'P-384' ? 'ecdsa-sha384' : 'ecdsa-sha256';
  if (keyType === 'rsa') return 'rsa-pkcs1-sha256';
  if (keyType === 'ed25519') return 'ed25519';
  throw new Error(`no certificate signature algorithm for key type ${keyType}`);
}
