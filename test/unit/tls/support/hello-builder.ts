// Test helpers: build ClientHello messages with realistic TLS 1.3 defaults, and wrap handshake
// bytes into plaintext records with chosen fragment sizes.
import { CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import { encodeClientHello } from '../../../../adapters/tls/wire/client-hello.js';
import { encodeAlpnClient } from '../../../../adapters/tls/wire/extensions/alpn.js';
import { encodeKeyShareClient, type KeyShareEntry } from '../../../../adapters/tls/wire/extensions/key-share.js';
import { encodeOfferedPsks, type PskIdentity } from '../../../../adapters/tls/wire/extensions/pre-shared-key.js';
import { encodePskKeyExchangeModes } from '../../../../adapters/tls/wire/extensions/psk-key-exchange-modes.js';
import { encodeServerNameClient } from '../../../../adapters/tls/wire/extensions/server-name.js';
import { encodeSignatureAlgorithms } from '../../../../adapters/tls/wire/extensions/signature-algorithms.js';
import { encodeSupportedGroups } from '../../../../adapters/tls/wire/extensions/supported-groups.js';
import { encodeSupportedVersionsClient } from '../../../../adapters/tls/wire/extensions/supported-versions.js';

export interface HelloOptions {
  serverName?: string;
  alpn?: string[];
  versions?: number[];
  suites?: number[];
  groups?: number[];
  keyShares?: KeyShareEntry[];
  signatureAlgorithms?: number[];
  sessionId?: Uint8Array;
  random?: Uint8Array;
  psk?: { identities: PskIdentity[]; binders: Uint8Array[]; modes?: number[] };
  /** Extra extensions appended before pre_shared_key. */
  extra?: Array<{ type: number; data: Uint8Array }>;
  /** Replace the extension list entirely. */
  extensions?: Array<{ type: number; data: Uint8Array }>;
}

export function helloExtensions(o: HelloOptions = {}): Array<{ type: number; data: Uint8Array }> {
  if (o.extensions) return o.extensions;
  const ext: Array<{ type: number; data: Uint8Array }> = [];
  if (o.serverName !== undefined) ext.push({ type: ExtensionType.server_name, data: encodeServerNameClient(o.serverName) });
  if (o.alpn) ext.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpnClient(o.alpn) });
  ext.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient(o.versions ?? [ProtocolVersion.TLS1_3]) });
  ext.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(o.groups ?? [NamedGroup.x25519, NamedGroup.secp256r1]) });
  ext.push({
    type: ExtensionType.key_share,
    data: encodeKeyShareClient(o.keyShares ?? [{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) }]),
  });
  ext.push({
    type: ExtensionType.signature_algorithms,
    data: encodeSignatureAlgorithms(o.signatureAlgorithms ?? [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.ed25519]),
  });
  if (o.extra) ext.push(...o.extra);
  if (o.psk) {
    ext.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes(o.psk.modes ?? [1]) });
    ext.push({ type: ExtensionType.pre_shared_key, data: encodeOfferedPsks(o.psk.identities, o.psk.binders) });
  }
  return ext;
}

export function buildHello(o: HelloOptions = {}): Uint8Array {
  return encodeClientHello({
    random: o.random ?? new Uint8Array(32).fill(7),
    legacySessionId: o.sessionId ?? new Uint8Array(32).fill(1),
    cipherSuites: o.suites ?? [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
    extensions: helloExtensions(o),
  });
}

/** Wraps handshake bytes into handshake records; `sizes` cycles (default one record). */
export function toRecords(message: Uint8Array, sizes: number[] = [16384], version = 0x0301, contentType = 22): Uint8Array {
  const parts: Uint8Array[] = [];
  let i = 0;
  let k = 0;
  while (i < message.length) {
    const n = Math.min(sizes[k++ % sizes.length]!, message.length - i);
    const rec = new Uint8Array(5 + n);
    rec[0] = contentType;
    rec[1] = version >> 8;
    rec[2] = version & 0xff;
    rec[3] = n >> 8;
    rec[4] = n & 0xff;
    rec.set(message.subarray(i, i + n), 5);
    parts.push(rec);
    i += n;
  }
  return concat(parts);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}
