// The TLS 1.3 key schedule (RFC 8446 §7.1) as a chain of types: each stage exposes only the
// derivations legal there, and moving on consumes the stage (using it afterwards throws).
//
//              0
//              |
//              v
//    PSK ->  HKDF-Extract = Early Secret                       (EarlySecret)
//              |
//              +-----> Derive-Secret(., "ext binder" | "res binder", "") = binder_key
//              +-----> Derive-Secret(., "c e traffic", ClientHello) = client_early_traffic_secret
//              +-----> Derive-Secret(., "e exp master", ClientHello) = early_exporter_master_secret
//              v
//        Derive-Secret(., "derived", "")
//              |
//              v
//    (EC)DHE -> HKDF-Extract = Handshake Secret                (HandshakeSecret)
//              |
//              +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
//              +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
//              v
//        Derive-Secret(., "derived", "")
//              |
//              v
//    0 -> HKDF-Extract = Master Secret                         (MasterSecret)
//              |
//              +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
//              +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
//              +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
//              +-----> Derive-Secret(., "res master", ClientHello...client Finished)
//
// Traffic keys (§7.3), Finished keys (§4.4.4), KeyUpdate (§7.2) and ticket PSKs (§4.6.1) hang off
// the secrets these stages produce and live at the end of this file.
import { TlsError } from '../wire/errors.js';
import { EMPTY_BYTES, zeroBytes } from './bytes.js';
import { deriveSecret, hkdfExpandLabel, hkdfExtract } from './hkdf.js';
import type { CryptoProvider } from './provider.js';
import type { Tls13Suite } from './suites.js';

/** Hash("") per provider and hash: an input of "derived" and binder keys, computed once. */
const emptyHashes = new WeakMap<CryptoProvider, Map<string, Uint8Array>>();

function emptyHash(p: CryptoProvider, suite: Tls13Suite): Uint8Array {
  let byHash = emptyHashes.get(p);
  if (!byHash) emptyHashes.set(p, (byHash = new Map()));
  let h = byHash.get(suite.hash);
  if (!h) byHash.set(suite.hash, (h = p.hash(suite.hash, EMPTY_BYTES)));
  return h;
}

abstract class Stage {
  private consumed = false;

  protected constructor(
    protected readonly p: CryptoProvider,
    readonly suite: Tls13Suite,
    protected readonly secret: Uint8Array,
  ) {}

  protected use(): Uint8Array {
    if (this.consumed) throw new TlsError('internal_error', 'key schedule stage used after it was consumed');
    return this.secret;
  }

  protected consume(): Uint8Array {
    const s = this.use();
    this.consumed = true;
    return s;
  }

  protected derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.p, this.suite.hash, this.suite.hashLength, this.use(), label, transcriptHash);
  }

  /** Derive-Secret(., "derived", "") — the salt for the next HKDF-Extract. */
  protected derivedSalt(): Uint8Array {
    return deriveSecret(this.p, this.suite.hash, this.suite.hashLength, this.consume(), 'derived', emptyHash(this.p, this.suite));
  }
}

export class EarlySecret extends Stage {
  /** Early Secret = HKDF-Extract(0, PSK); without a PSK the IKM is a string of Hash.length zeros. */
  static create(p: CryptoProvider, suite: Tls13Suite, psk?: Uint8Array): EarlySecret {
    const zeros = zeroBytes(suite.hashLength);
    return new EarlySecret(p, suite, hkdfExtract(p, suite.hash, zeros, psk ?? zeros));
  }

  /** binder_key for a resumption ("res binder") or external ("ext binder") PSK (§4.2.11.2). */
  binderKey(kind: 'resumption' | 'external'): Uint8Array {
    return this.derive(kind === 'resumption' ? 'res binder' : 'ext binder', emptyHash(this.p, this.suite));
  }

  clientEarlyTrafficSecret(helloHash: Uint8Array): Uint8Array {
    return this.derive('c e traffic', helloHash);
  }

  earlyExporterMasterSecret(helloHash: Uint8Array): Uint8Array {
    return this.derive('e exp master', helloHash);
  }

  /** Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE). Consumes this stage. */
  intoHandshake(sharedSecret: Uint8Array): HandshakeSecret {
    const salt = this.derivedSalt();
    return new HandshakeSecret(this.p, this.suite, hkdfExtract(this.p, this.suite.hash, salt, sharedSecret));
  }
}

export class HandshakeSecret extends Stage {
  clientHandshakeTrafficSecret(helloThroughServerHelloHash: Uint8Array): Uint8Array {
    return this.derive('c hs traffic', helloThroughServerHelloHash);
  }

  serverHandshakeTrafficSecret(helloThroughServerHelloHash: Uint8Array): Uint8Array {
    return this.derive('s hs traffic', helloThroughServerHelloHash);
  }

  /** Master Secret = HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0). Consumes this stage. */
  intoMaster(): MasterSecret {
    const salt = this.derivedSalt();
    return new MasterSecret(this.p, this.suite, hkdfExtract(this.p, this.suite.hash, salt, zeroBytes(this.suite.hashLength)));
  }
}

export class MasterSecret extends Stage {
  clientApplicationTrafficSecret(throughServerFinishedHash: Uint8Array): Uint8Array {
    return this.derive('c ap traffic', throughServerFinishedHash);
  }

  serverApplicationTrafficSecret(throughServerFinishedHash: Uint8Array): Uint8Array {
    return this.derive('s ap traffic', throughServerFinishedHash);
  }

  exporterMasterSecret(throughServerFinishedHash: Uint8Array): Uint8Array {
    return this.derive('exp master', throughServerFinishedHash);
  }

  /** The last derivation: consumes the stage (nothing else may come from the master secret). */
  resumptionMasterSecret(throughClientFinishedHash: Uint8Array): Uint8Array {
    const s = this.derive('res master', throughClientFinishedHash);
    this.consume();
    return s;
  }
}

export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** [sender]_write_key and _iv from a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(p: CryptoProvider, suite: Tls13Suite, secret: Uint8Array): TrafficKeys {
  return {
    key: hkdfExpandLabel(p, suite.hash, secret, 'key', EMPTY_BYTES, suite.keyLength),
    iv: hkdfExpandLabel(p, suite.hash, secret, 'iv', EMPTY_BYTES, suite.ivLength),
  };
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2). */
export function nextTrafficSecret(p: CryptoProvider, suite: Tls13Suite, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite.hash, secret, 'traffic upd', EMPTY_BYTES, suite.hashLength);
}

/** finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4). */
export function finishedKey(p: CryptoProvider, suite: Tls13Suite, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite.hash, baseKey, 'finished', EMPTY_BYTES, suite.hashLength);
}

/** verify_data = HMAC(finished_key, Transcript-Hash(...)) — also the PSK binder (§4.2.11.2). */
export function finishedVerifyData(p: CryptoProvider, suite: Tls13Suite, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return p.hmac(suite.hash, finishedKey(p, suite, baseKey), transcriptHash);
}

/** The PSK of one ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length) (§4.6.1). */
export function ticketPsk(p: CryptoProvider, suite: Tls13Suite, resumptionMasterSecret: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, suite.hash, resumptionMasterSecret, 'resumption', nonce, suite.hashLength);
}
