// What a signer knows about a key: identity, algorithm, the TLS schemes it can sign with and its
// public half. Never the private key: that stays in the token, the worker, or the KeyObject.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { schemeNames, type SchemeName } from './schemes.js';

/** `ec-p256`, `ec-p384`, `ed25519`, or `rsa<bits>` (e.g. `rsa2048`). */
export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'ed25519' | `rsa${number}`;

export interface KeyInfo {
  /** Stable id: the PKCS#11 CKA_ID in hex, or (software) the first 8 bytes of SHA-256(SPKI). */
  id: string;
  label: string;
  algorithm: KeyAlgorithm;
  /** TLS schemes this key can sign with on this backend. */
  schemes: SchemeName[];
  /** SubjectPublicKeyInfo DER, when the public half is known. */
  spki?: Buffer;
  /** The certificate stored with the key (same CKA_ID on a token, or from a PKCS#12 file), DER. */
  certificate?: Buffer;
  /** Token facts: CKA_LOCAL (generated inside), CKA_NEVER_EXTRACTABLE, CKA_SENSITIVE. */
  facts?: { local?: boolean; neverExtractable?: boolean; sensitive?: boolean; extractable?: boolean };
}

export function keyAlgorithmOf(publicKey: KeyObject): KeyAlgorithm | undefined {
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails;
  if (type === 'ec') {
    if (details?.namedCurve === 'prime256v1') return 'ec-p256';
    if (details?.namedCurve === 'secp384r1') return 'ec-p384';
    return undefined;
  }
  if (type === 'rsa' && details?.modulusLength) return `rsa${details.modulusLength}`;
  if (type === 'ed25519') return 'ed25519';
  return undefined;
}

/** The TLS schemes a key of this algorithm can produce, before asking what a token's mechanisms allow. */
export function schemesForAlgorithm(algorithm: KeyAlgorithm): SchemeName[] {
  if (algorithm === 'ec-p256') return ['ecdsa_secp256r1_sha256'];
  if (algorithm === 'ec-p384') return ['ecdsa_secp384r1_sha384'];
  if (algorithm === 'ed25519') return ['ed25519'];
  return schemeNames.filter((s) => s.startsWith('rsa_'));
}

export function spkiOf(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function derivedKeyId(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** A KeyInfo as JSON (for the bus and `keys list`): binary fields in base64. */
export interface KeyInfoJson {
  id: string;
  label: string;
  algorithm: string;
  schemes: string[];
  spki?: string;
  certificate?: string;
  facts?: { local?: boolean; neverExtractable?: boolean; sensitive?: boolean; extractable?: boolean };
}

export function keyInfoToJson(k: KeyInfo): KeyInfoJson {
  const out: KeyInfoJson = { id: k.id, label: k.label, algorithm: k.algorithm, schemes: [...k.schemes] };
  if (k.spki) out.spki = k.spki.toString('base64');
  if (k.certificate) out.certificate = k.certificate.toString('base64');
  if (k.facts) out.facts = { ...k.facts };
  return out;
}

export function keyInfoFromJson(j: KeyInfoJson): KeyInfo {
  const out: KeyInfo = { id: j.id, label: j.label, algorithm: j.algorithm as KeyAlgorithm, schemes: j.schemes as SchemeName[] };
  if (j.spki) out.spki = Buffer.from(j.spki, 'base64');
  if (j.certificate) out.certificate = Buffer.from(j.certificate, 'base64');
  if (j.facts) out.facts = { ...j.facts };
  return out;
}
