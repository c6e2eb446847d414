// A software signer for the offload engine's `sign_transcript` requests: node:crypto's async
// `sign(…, callback)` runs on libuv's thread pool, so RSA signing does not stall the event loop.
// Scheme details (ECDSA DER encoding, PSS salt = hash length) live here, not in the engine.
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { SignatureScheme } from '../wire/enums.js';
import { schemesFor, type KeyAlgorithm, type SigningKey } from '../engine/server/policy.js';

export interface SignRequest {
  readonly keyId: string;
  readonly scheme: number;
  readonly content: Uint8Array;
}

/** What the offload socket calls for each handshake: resolves with the signature in TLS encoding. */
export type TranscriptSigner = (request: SignRequest) => Promise<Uint8Array>;

export class SignerError extends Error {
  override readonly name = 'SignerError';
  constructor(
    readonly code: 'unknown_key' | 'unsupported_scheme' | 'sign_failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const hashOf: ReadonlyMap<number, string | null> = new Map<number, string | null>([
  [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_rsae_sha256, 'sha256'],
  [SignatureScheme.rsa_pss_rsae_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_rsae_sha512, 'sha512'],
  [SignatureScheme.rsa_pss_pss_sha256, 'sha256'],
  [SignatureScheme.rsa_pss_pss_sha384, 'sha384'],
  [SignatureScheme.rsa_pss_pss_sha512, 'sha512'],
  [SignatureScheme.ed25519, null],
]);

export interface SoftwareSignerOptions {
  /**
   * Which signatures go to libuv's thread pool. `rsa` (default): RSA (a millisecond or more) runs
   * off the event loop, while ECDSA/Ed25519 (tens of microseconds) sign inline — a thread-pool
   * round trip costs about as much as the signature itself. `always`: everything off the loop.
   */
  threadPool?: 'rsa' | 'always';
}

const PSS_SCHEMES: ReadonlySet<number> = new Set([
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
]);

/** Signs with in-memory keys, looked up by key id. Always answers through a promise (one code path for the engine). */
export function softwareSigner(keys: ReadonlyMap<string, KeyObject>, options: SoftwareSignerOptions = {}): TranscriptSigner {
  const threadPool = options.threadPool ?? 'rsa';
  return (request) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const key = keys.get(request.keyId);
      if (!key) return reject(new SignerError('unknown_key', `no key ${request.keyId}`));
      if (!hashOf.has(request.scheme)) return reject(new SignerError('unsupported_scheme', `scheme 0x${request.scheme.toString(16)}`));
      const hash = hashOf.get(request.scheme)!;
      const params = PSS_SCHEMES.has(request.scheme)
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : key.asymmetricKeyType === 'ec'
          ? { key, dsaEncoding: 'der' as const }
          : key;
      const rsa = key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
      if (threadPool === 'always' || rsa) {
        sign(hash, request.content, params, (err, signature) => {
          if (err) reject(new SignerError('sign_failed', 'signature failed', { cause: err }));
          else resolve(new Uint8Array(signature));
        });
        return;
      }
      try {
        resolve(new Uint8Array(sign(hash, request.content, params)));
      } catch (err) {
        reject(new SignerError('sign_failed', 'signature failed', { cause: err }));
      }
    });
}

/** The engine's view of a private key: its algorithm and the TLS 1.3 schemes it can produce. */
export function describeKey(id: string, key: KeyObject): SigningKey {
  return { id, algorithm: algorithmOf(key), schemes: schemesFor(algorithmOf(key)) };
}

export function algorithmOf(key: KeyObject): KeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ecdsa_p256';
      if (curve === 'secp384r1') return 'ecdsa_p384';
      throw new SignerError('unsupported_scheme', `EC curve ${curve ?? '?'} is not supported`);
    }
    case 'rsa':
      return 'rsa';
    case 'rsa-pss':
      return 'rsa_pss';
    case 'ed25519':
      return 'ed25519';
    default:
      throw new SignerError('unsupported_scheme', `key type ${key.asymmetricKeyType ?? '?'} is not supported`);
  }
}

/** Loads a PEM private key. */
export function loadPrivateKey(pem: string | Buffer, passphrase?: string): KeyObject {
  return createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
}
