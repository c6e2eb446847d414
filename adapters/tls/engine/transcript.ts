// The handshake transcript (RFC 8446 §4.4.1): a running hash over handshake messages as sent
// (header included). After a HelloRetryRequest, ClientHello1 is replaced by a synthetic
// message_hash message carrying Hash(ClientHello1).
import { HandshakeType } from '../wire/enums.js';
import type { CryptoProvider, HashContext, HashName } from './provider.js';

export class Transcript {
  private constructor(private readonly ctx: HashContext) {}

  static start(p: CryptoProvider, hash: HashName): Transcript {
    return new Transcript(p.hashContext(hash));
  }

  /**
   * The transcript after a HelloRetryRequest: message_hash(Hash(ClientHello1)) stands in for the
   * first ClientHello: `254 || 00 00 || Hash.length || Hash(ClientHello1)` (§4.4.1).
   */
  static afterHelloRetry(p: CryptoProvider, hash: HashName, clientHello1: Uint8Array): Transcript {
    const digest = p.hash(hash, clientHello1);
    const t = Transcript.start(p, hash);
    t.add(new Uint8Array([HandshakeType.message_hash, 0, 0, digest.length]));
    t.add(digest);
    return t;
  }

  add(message: Uint8Array): this {
    this.ctx.update(message);
    return this;
  }

  /** Transcript-Hash of everything added so far. */
  current(): Uint8Array {
    return this.ctx.digest();
  }

  /** Transcript-Hash of what is there plus `extra`, leaving this transcript unchanged. */
  hashWith(extra: Uint8Array): Uint8Array {
    const c = this.ctx.clone();
    c.update(extra);
    return c.digest();
  }

  clone(): Transcript {
    return new Transcript(this.ctx.clone());
  }
}
