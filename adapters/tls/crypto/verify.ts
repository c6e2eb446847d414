// Verification of a peer's CertificateVerify signature (RFC 8446 §4.4.3) with node:crypto: the
// scheme fixes hash, padding and — for ECDSA — the curve the certificate's key must be on.
import { constants, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { SignatureScheme } from '../wire/enums.js';

interface SchemeParams {
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  keyType: 'ec' | 'rsa' | 'rsa-pss' | 'ed25519';
  curve?: string;
  pss?: boolean;
}

const params: ReadonlyMap<number, SchemeParams> = new Map<number, SchemeParams>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' }],
  [SignatureScheme.ecdsa_secp521r1_sha512, { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { hash: 'sha256', keyType: 'rsa', pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha384, { hash: 'sha384', keyType: 'rsa', pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha512, { hash: 'sha512', keyType: 'rsa', pss: true }],
  [SignatureScheme.rsa_pss_pss_sha256, { hash: 'sha256', keyType: 'rsa-pss', pss: true }],
  [SignatureScheme.rsa_pss_pss_sha384, { hash: 'sha384', keyType: 'rsa-pss', pss: true }],
  [SignatureScheme.rsa_pss_pss_sha512, { hash: 'sha512', keyType: 'rsa-pss', pss: true }],
  [SignatureScheme.ed25519, { hash: null, keyType: 'ed25519' }],
]);

/** True when `signature` is `scheme` over `content` by the certificate's key; false for anything else. */
export function verifyCertificateVerify(scheme: number, certificateDer: Uint8Array, content: Uint8Array, signature: Uint8Array): boolean {
  const p = params.get(scheme);
  if (!p) return false; // PKCS#1 v1.5 and SHA-1 schemes are not allowed in TLS 1.3 CertificateVerify
  let key: KeyObject;
  try {
    key = new X509Certificate(certificateDer).publicKey;
  } catch {
    return false;
  }
  return verifyWithKey(p, key, content, signature);
}

export function verifyWithScheme(scheme: number, key: KeyObject, content: Uint8Array, signature: Uint8Array): boolean {
  const p = params.get(scheme);
  return p ? verifyWithKey(p, key, content, signature) : false;
}

function verifyWithKey(p: SchemeParams, key: KeyObject, content: Uint8Array, signature: Uint8Array): boolean {
  if (key.asymmetricKeyType !== p.keyType) return false;
  if (p.curve && key.asymmetricKeyDetails?.namedCurve !== p.curve) return false;
  try {
    if (p.pss) {
      return verify(p.hash, content, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    }
    if (p.keyType === 'ec') return verify(p.hash, content, { key, dsaEncoding: 'der' }, signature);
    return verify(p.hash, content, key, signature);
  } catch {
    return false;
  }
}
