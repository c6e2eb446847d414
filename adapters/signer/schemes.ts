// TLS SignatureSchemes a signer produces (RFC 8446 §4.2.3) and the exact encoding TLS wants:
// ECDSA as a DER Ecdsa-Sig-Value, RSASSA-PSS with MGF1 of the same hash and salt = hash length,
// PKCS#1 v1.5 (certificates, TLS 1.2), Ed25519 over the message itself (RFC 8032).
import { createHash, createPublicKey, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { SignatureScheme } from '../tls/wire/enums.js';
import { SignerError } from './errors.js';

export const schemeNames = [
  'ecdsa_secp256r1_sha256',
  'ecdsa_secp384r1_sha384',
  'rsa_pss_rsae_sha256',
  'rsa_pss_rsae_sha384',
  'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha256',
  'rsa_pkcs1_sha384',
  'rsa_pkcs1_sha512',
  'ed25519',
] as const;

export type SchemeName = (typeof schemeNames)[number];
export type HashName = 'sha256' | 'sha384' | 'sha512';
export type SchemeFamily = 'ecdsa' | 'rsa_pss' | 'rsa_pkcs1' | 'eddsa';

export interface SchemeSpec {
  readonly name: SchemeName;
  /** IANA code point (adapters/tls/wire/enums.ts). */
  readonly code: number;
  readonly family: SchemeFamily;
  /** The hash applied to the content; null for Ed25519 (it signs the message). */
  readonly hash: HashName | null;
  /** ECDSA in TLS 1.3 binds the curve to the hash (RFC 8446 §4.2.3). */
  readonly curve?: 'P-256' | 'P-384';
}

export const schemes: Readonly<Record<SchemeName, SchemeSpec>> = {
  ecdsa_secp256r1_sha256: { name: 'ecdsa_secp256r1_sha256', code: SignatureScheme.ecdsa_secp256r1_sha256, family: 'ecdsa', hash: 'sha256', curve: 'P-256' },
  ecdsa_secp384r1_sha384: { name: 'ecdsa_secp384r1_sha384', code: SignatureScheme.ecdsa_secp384r1_sha384, family: 'ecdsa', hash: 'sha384', curve: 'P-384' },
  rsa_pss_rsae_sha256: { name: 'rsa_pss_rsae_sha256', code: SignatureScheme.rsa_pss_rsae_sha256, family: 'rsa_pss', hash: 'sha256' },
  rsa_pss_rsae_sha384: { name: 'rsa_pss_rsae_sha384', code: SignatureScheme.rsa_pss_rsae_sha384, family: 'rsa_pss', hash: 'sha384' },
  rsa_pss_rsae_sha512: { name: 'rsa_pss_rsae_sha512', code: SignatureScheme.rsa_pss_rsae_sha512, family: 'rsa_pss', hash: 'sha512' },
  rsa_pkcs1_sha256: { name: 'rsa_pkcs1_sha256', code: SignatureScheme.rsa_pkcs1_sha256, family: 'rsa_pkcs1', hash: 'sha256' },
  rsa_pkcs1_sha384: { name: 'rsa_pkcs1_sha384', code: SignatureScheme.rsa_pkcs1_sha384, family: 'rsa_pkcs1', hash: 'sha384' },
  rsa_pkcs1_sha512: { name: 'rsa_pkcs1_sha512', code: SignatureScheme.rsa_pkcs1_sha512, family: 'rsa_pkcs1', hash: 'sha512' },
  ed25519: { name: 'ed25519', code: SignatureScheme.ed25519, family: 'eddsa', hash: null },
};

export const hashLength: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48, sha512: 64 };

export function isSchemeName(value: unknown): value is SchemeName {
  return typeof value === 'string' && Object.hasOwn(schemes, value);
}

export function schemeSpec(name: string): SchemeSpec {
  if (!isSchemeName(name)) throw new SignerError('unsupported_scheme', `unknown signature scheme ${JSON.stringify(name)}`);
  return schemes[name];
}

export function schemeByCode(code: number): SchemeSpec | undefined {
  return Object.values(schemes).find((s) => s.code === code);
}

export function digest(hash: HashName, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

// DER DigestInfo prefixes for EMSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1): what CKM_RSA_PKCS signs
// before the digest, since the token is given the digest and not the message.
const digestInfoPrefix: Readonly<Record<HashName, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function digestInfo(hash: HashName, hashed: Uint8Array): Buffer {
  return Buffer.concat([digestInfoPrefix[hash], hashed]);
}

/** PKCS#11 and the TPM return ECDSA as r‖s (each half the length); TLS and X.509 want DER (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new SignerError('internal', `ECDSA signature of odd length ${raw.length}`);
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  return Buffer.concat([Buffer.from([0x30]), derLength(r.length + s.length), r, s]);
}

function derInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = bytes.subarray(start);
  const pad = body[0]! & 0x80 ? 1 : 0;
  const out = Buffer.alloc(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length; // ≤ 67 for P-521: short form
  out.set(body, 2 + pad);
  return out;
}

function derLength(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x81, n]);
}

/** node:crypto sign/verify options that produce exactly the TLS encoding for a scheme. */
export function nodeSignOptions(spec: SchemeSpec): { algorithm: HashName | null; padding?: number; saltLength?: number; dsaEncoding?: 'der' } {
  switch (spec.family) {
    case 'ecdsa':
      return { algorithm: spec.hash, dsaEncoding: 'der' };
    case 'rsa_pss':
      return { algorithm: spec.hash, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength[spec.hash!] };
    case 'rsa_pkcs1':
      return { algorithm: spec.hash, padding: constants.RSA_PKCS1_PADDING };
    case 'eddsa':
      return { algorithm: null };
  }
}

/** Verifies a TLS-encoded signature against a public key (SPKI DER or KeyObject). */
export function verifySignature(scheme: SchemeName, publicKey: Uint8Array | KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKey instanceof Uint8Array ? createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }) : publicKey;
  const { algorithm, ...options } = nodeSignOptions(schemes[scheme]);
  return cryptoVerify(algorithm, data, { key, ...options }, signature);
}
