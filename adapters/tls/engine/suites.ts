// The TLS 1.3 cipher suites the offload engine implements (RFC 8446 §B.4): AEAD, key and hash sizes.
import { CipherSuite } from '../wire/enums.js';
import type { AeadName, HashName } from './provider.js';

export interface Tls13Suite {
  readonly code: number;
  readonly name: 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';
  readonly aead: AeadName;
  readonly keyLength: number;
  /** RFC 8446 §5.3: iv_length is max(8 bytes, N_MIN) = 12 for all three suites. */
  readonly ivLength: 12;
  readonly hash: HashName;
  readonly hashLength: 32 | 48;
  /** RFC 8446 §5.5: records to protect under one key before a KeyUpdate is due. */
  readonly recordLimit: number;
}

export const TLS13_SUITES: readonly Tls13Suite[] = [
  { code: CipherSuite.TLS_AES_128_GCM_SHA256, name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', keyLength: 16, ivLength: 12, hash: 'sha256', hashLength: 32, recordLimit: 2 ** 24 },
  { code: CipherSuite.TLS_AES_256_GCM_SHA384, name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', keyLength: 32, ivLength: 12, hash: 'sha384', hashLength: 48, recordLimit: 2 ** 24 },
  // ChaCha20-Poly1305 has no practical per-key limit; 2^40 keeps the counter far from 2^53.
  { code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', keyLength: 32, ivLength: 12, hash: 'sha256', hashLength: 32, recordLimit: 2 ** 40 },
];

export function suiteByCode(code: number): Tls13Suite | undefined {
  return TLS13_SUITES.find((s) => s.code === code);
}
