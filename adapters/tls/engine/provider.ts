// The crypto port of the sans-I/O engine: every primitive the TLS 1.3 server needs, synchronous,
// implemented on node:crypto in adapters/tls/crypto/ (and seeded there for the RFC 8448 trace tests).
// Signing is not here: it is an output of the engine (`sign_transcript`), answered by the host.

export type HashName = 'sha256' | 'sha384';
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/**
 * Why random bytes are drawn. A seeded provider maps purposes to fixed values, so a trace test
 * does not depend on the order in which the engine happens to draw them.
 */
export type RandomPurpose = 'server_random' | 'key_share' | 'ticket_age_add' | 'hrr_cookie' | 'session_id';

export interface HashContext {
  update(data: Uint8Array): void;
  /** The hash of everything so far; the context stays usable (Transcript-Hash at each step). */
  digest(): Uint8Array;
  /** An independent copy (for hashing a prefix plus a candidate message). */
  clone(): HashContext;
}

/** An AEAD bound to one key (RFC 8446 §5.2); the engine builds the per-record nonce. */
export interface Aead {
  readonly tagLength: number;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Seals the concatenation of `parts` into `into` at `at`: the ciphertext, then the tag (the parts'
   * total length + tagLength bytes). The record layer seals straight into the record it sends,
   * without joining the plaintext first or copying the result. `aad` must not overlap the output.
   */
  sealInto(nonce: Uint8Array, aad: Uint8Array, parts: readonly Uint8Array[], into: Uint8Array, at: number): void;
  /** The plaintext, or undefined when authentication fails (never throws for bad input). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
}

/** The server's ephemeral key for one (EC)DHE group (RFC 8446 §4.2.8, §7.4). */
export interface KeyShare {
  readonly group: number;
  /** The public value in TLS encoding (X25519: 32 bytes; P-256/P-384: uncompressed point). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the client's public value. Returns undefined for an invalid peer
   * value (wrong length, point not on the curve, all-zero X25519 result): an illegal_parameter.
   */
  agree(peerPublic: Uint8Array): Uint8Array | undefined;
}

export type ChainVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'unknown_ca' | 'bad_certificate' | 'certificate_expired' | 'unsupported_certificate'; readonly reason: string };

export interface CryptoProvider {
  random(length: number, purpose: RandomPurpose): Uint8Array;
  hash(alg: HashName, data: Uint8Array): Uint8Array;
  hashContext(alg: HashName): HashContext;
  hmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(name: AeadName, key: Uint8Array): Aead;
  /** Groups this provider can do key exchange in. */
  supportsGroup(group: number): boolean;
  generateKeyShare(group: number): KeyShare;
  /** Verifies a CertificateVerify signature by the leaf certificate's public key (RFC 8446 §4.4.3). */
  verifySignature(scheme: number, certificateDer: Uint8Array, content: Uint8Array, signature: Uint8Array): boolean;
  /** Verifies a client certificate chain (leaf first) against trust anchors (DER). */
  verifyClientChain(chain: readonly Uint8Array[], trustAnchors: readonly Uint8Array[], nowMs: number): ChainVerdict;
}
