// Sealing under the fleet key: AES-256-GCM with a key derived by HKDF-SHA256 (RFC 5869) per purpose,
// and the caller's associated data (a key id, a session id) bound in, so a sealed value moved to
// another id or purpose fails to open. Format: version (1) || nonce (12) || ciphertext || tag (16).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { CryptoError } from './errors.js';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;

/** What a sealed value is for: each purpose gets its own derived key (domain separation). */
export type SealPurpose = 'ticket-key' | 'session';

export class Sealer {
  private readonly key: Buffer;

  /** @param fleetKey the 32-byte fleet key (never stored beyond the derived key) */
  constructor(fleetKey: Uint8Array, readonly purpose: SealPurpose) {
    this.key = Buffer.from(hkdfSync('sha256', fleetKey, Buffer.from('tlsedge fleet seal v1'), `tlsedge ${purpose}`, 32));
  }

  /** Seals `plaintext` bound to `aad`; the result is base64url text (JSON-safe). */
  seal(plaintext: Uint8Array, aad: string): string {
    return this.sealBytes(plaintext, aad).toString('base64url');
  }

  sealBytes(plaintext: Uint8Array, aad: string): Buffer {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
  }

  /** Opens a value sealed with the same fleet key, purpose and `aad`; throws CryptoError `open_failed` otherwise. */
  open(sealed: string, aad: string): Buffer {
    return this.openBytes(Buffer.from(sealed, 'base64url'), aad);
  }

  openBytes(raw: Uint8Array, aad: string): Buffer {
    if (raw.length < 1 + NONCE + TAG || raw[0] !== VERSION) throw new CryptoError('bad_sealed', `sealed value for ${aad} is malformed`);
    const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(1, 1 + NONCE));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(buf.subarray(buf.length - TAG));
    try {
      return Buffer.concat([decipher.update(buf.subarray(1 + NONCE, buf.length - TAG)), decipher.final()]);
    } catch (err) {
      // Wrong fleet key, wrong id, or tampering: all look the same, on purpose.
      throw new CryptoError('open_failed', `cannot open the sealed value for ${aad} (different fleet key, or tampered)`, { cause: err });
    }
  }
}
