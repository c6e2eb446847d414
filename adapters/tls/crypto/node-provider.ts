// The engine's CryptoProvider on node:crypto (OpenSSL): hashes, HMAC, the three TLS 1.3 AEADs,
// X25519/P-256/P-384 key exchange, and CertificateVerify/chain verification for client auth.
// With a seeded random source ephemeral keys are derived from `random(…, 'key_share')` (RFC 8448
// traces); with the CSPRNG, X25519 pairs are made ahead on libuv's pool and small draws are pooled.
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPair,
  type CipherGCMTypes,
  type ECDH,
  type Hash,
  type KeyObject,
} from 'node:crypto';
import { NamedGroup } from '../wire/enums.js';
import type { Aead, AeadName, ChainVerdict, CryptoProvider, HashContext, HashName, KeyShare, RandomPurpose } from '../engine/provider.js';
import { verifyCertificateVerify } from './verify.js';
import { verifyChain } from './chain.js';
import { oneShotHash, oneShotHmac } from './one-shot-hmac.js';
import { RandomPool } from './random-pool.js';

export interface NodeCryptoProviderOptions {
  /** Replaces the CSPRNG (tests reproducing RFC 8448 only). */
  random?: (length: number, purpose: RandomPurpose) => Uint8Array;
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Small random draws (randoms, nonces, ticket age_add) come from one CSPRNG fill of this many bytes. */
/** X25519 key pairs generated ahead on libuv's pool: the event loop then only agrees (see x25519()). */
const X25519_STOCK = 64;

export class NodeCryptoProvider implements CryptoProvider {
  private readonly source: ((length: number, purpose: RandomPurpose) => Uint8Array) | undefined;
  private readonly pool = new RandomPool();
  private readonly x25519Stock: Array<{ privateKey: KeyObject; publicKey: KeyObject }> = [];
  private x25519Refilling = 0;

  constructor(options: NodeCryptoProviderOptions = {}) {
    this.source = options.random;
  }

  random(length: number, purpose: RandomPurpose): Uint8Array {
    if (!this.source) return this.pool.take(length);
    const bytes = this.source(length, purpose);
    if (bytes.length !== length) throw new Error(`random source returned ${bytes.length} bytes for ${purpose}, wanted ${length}`);
    return bytes;
  }

  hash(alg: HashName, data: Uint8Array): Uint8Array {
    return oneShotHash(alg, data);
  }

  hashContext(alg: HashName): HashContext {
    return wrapHash(createHash(alg));
  }

  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
    return oneShotHmac(alg, key, data);
  }

  aead(name: AeadName, key: Uint8Array): Aead {
    return new NodeAead(name, Buffer.from(key));
  }

  supportsGroup(group: number): boolean {
    return group === NamedGroup.x25519 || group === NamedGroup.secp256r1 || group === NamedGroup.secp384r1;
  }

  generateKeyShare(group: number): KeyShare {
    switch (group) {
      case NamedGroup.x25519:
        return this.x25519();
      case NamedGroup.secp256r1:
        return this.ecdhe(group, 'prime256v1', 32);
      case NamedGroup.secp384r1:
        return this.ecdhe(group, 'secp384r1', 48);
      default:
        throw new Error(`unsupported group 0x${group.toString(16)}`);
    }
  }

  verifySignature(scheme: number, certificateDer: Uint8Array, content: Uint8Array, signature: Uint8Array): boolean {
    return verifyCertificateVerify(scheme, certificateDer, content, signature);
  }

  verifyClientChain(chain: readonly Uint8Array[], trustAnchors: readonly Uint8Array[], nowMs: number): ChainVerdict {
    return verifyChain(chain, trustAnchors, nowMs);
  }

  private x25519(): KeyShare {
    let privateKey: KeyObject;
    let publicKey: Uint8Array;
    const ready = this.source ? undefined : this.takeX25519();
    if (ready) {
      privateKey = ready.privateKey;
      publicKey = new Uint8Array(Buffer.from(ready.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    } else {
      // Any 32 bytes are a valid X25519 private key (RFC 7748 clamps them); seeded sources go this way.
      privateKey = x25519PrivateKey(this.random(32, 'key_share'));
      publicKey = new Uint8Array(Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url'));
    }
    return {
      group: NamedGroup.x25519,
      publicKey,
      agree(peer: Uint8Array): Uint8Array | undefined {
        if (peer.length !== 32) return undefined;
        let shared: Buffer;
        try {
          shared = diffieHellman({ privateKey, publicKey: x25519PublicKey(peer) });
        } catch {
          return undefined;
        }
        // RFC 8446 §7.4.2: an all-zero X25519 result MUST abort (a low-order point).
        return shared.some((b) => b !== 0) ? new Uint8Array(shared) : undefined;
      },
    };
  }

  /**
   * A key pair generated ahead of time on libuv's thread pool (generateKeyPair), so the event loop
   * does not pay for key generation during a handshake; the stock refills in the background. Each
   * pair is used once. Undefined while the stock is empty (the caller generates one inline).
   */
  private takeX25519(): { privateKey: KeyObject; publicKey: KeyObject } | undefined {
    const pair = this.x25519Stock.pop();
    if (this.x25519Stock.length < X25519_STOCK / 2 && this.x25519Refilling === 0) {
      const wanted = X25519_STOCK - this.x25519Stock.length;
      this.x25519Refilling = wanted;
      for (let i = 0; i < wanted; i++) {
        generateKeyPair('x25519', {}, (err, publicKey, privateKey) => {
          this.x25519Refilling--;
          if (!err && this.x25519Stock.length < X25519_STOCK) this.x25519Stock.push({ privateKey, publicKey });
        });
      }
    }
    return pair;
  }

  private ecdhe(group: number, curve: string, size: number): KeyShare {
    let ecdh: ECDH | undefined;
    // A scalar ≥ the group order is refused by OpenSSL; draw again (practically never happens).
    for (let attempt = 0; attempt < 8 && !ecdh; attempt++) {
      const candidate = createECDH(curve);
      try {
        candidate.setPrivateKey(this.random(size, 'key_share'));
        ecdh = candidate;
      } catch {
        // out of range
      }
    }
    if (!ecdh) throw new Error(`could not derive a ${curve} private key`);
    const keys = ecdh;
    return {
      group,
      publicKey: new Uint8Array(keys.getPublicKey()),
      agree(peer: Uint8Array): Uint8Array | undefined {
        // RFC 8446 §4.2.8.2: uncompressed points only (0x04 || X || Y).
        if (peer.length !== 1 + 2 * size || peer[0] !== 4) return undefined;
        try {
          return new Uint8Array(keys.computeSecret(peer));
        } catch {
          return undefined; // not on the curve
        }
      },
    };
  }
}

/*
 * X25519 keys go through JWK, not DER: with OpenSSL 3, Node's DER import runs the decoder
 * machinery (measured ~2.5× slower per handshake here). JWK import builds the key from raw bytes.
 * Node requires `x` in a private OKP JWK but derives the public key from `d` (checked by the
 * RFC 8448 trace test); should a later Node validate `x`, the DER path below takes over.
 */
const ZERO_X = Buffer.alloc(32).toString('base64url');
let jwkPrivateImport = true;

function x25519PrivateKey(d: Uint8Array): KeyObject {
  if (jwkPrivateImport) {
    try {
      return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(d).toString('base64url'), x: ZERO_X }, format: 'jwk' });
    } catch {
      jwkPrivateImport = false;
    }
  }
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, d]), format: 'der', type: 'pkcs8' });
}

function x25519PublicKey(x: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(x).toString('base64url') }, format: 'jwk' });
}

function wrapHash(h: Hash): HashContext {
  return {
    update: (data) => void h.update(data),
    digest: () => h.copy().digest(),
    clone: () => wrapHash(h.copy()),
  };
}

class NodeAead implements Aead {
  readonly tagLength = 16;

  constructor(
    private readonly name: AeadName,
    private readonly key: Buffer,
  ) {}

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.tagLength);
    this.sealInto(nonce, aad, [plaintext], out, 0);
    return out;
  }

  sealInto(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], into: Uint8Array, at: number): void {
    let total = 0;
    for (const part of parts) total += part.length;
    const c = createCipheriv(this.name as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: total });
    let o = at;
    for (const part of parts) {
      const body = c.update(part); // GCM and ChaCha20-Poly1305 are stream ciphers: as long as the part
      into.set(body, o);
      o += body.length;
    }
    c.final();
    into.set(c.getAuthTag(), o);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
    if (ciphertext.length < this.tagLength) return undefined;
    const body = ciphertext.subarray(0, ciphertext.length - this.tagLength);
    const d = createDecipheriv(this.name as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    d.setAuthTag(ciphertext.subarray(ciphertext.length - this.tagLength));
    d.setAAD(aad, { plaintextLength: body.length });
    const plain = d.update(body);
    try {
      d.final();
    } catch {
      return undefined;
    }
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
  }
}
