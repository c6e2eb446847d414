// ClientHello (RFC 8446 §4.1.2): strict decoding of the whole handshake message, keeping the raw
// bytes (for the transcript and PSK binders) and every extension raw, in wire order, plus the
// decoded fields the peek parser, the policy and the engine need. Only TlsError ever escapes.
import { ExtensionType, HandshakeType } from './enums.js';
import { TlsError, isTlsError } from './errors.js';
import { HANDSHAKE_HEADER_LENGTH, buildHandshake } from './handshake.js';
import { readU16List, writeU16List } from './lists.js';
import { Reader } from './reader.js';
import { decodeAlpnClient } from './extensions/alpn.js';
import { decodeCookie } from './extensions/cookie.js';
import { decodeEarlyDataIndication } from './extensions/early-data.js';
import { decodeEcPointFormats } from './extensions/ec-point-formats.js';
import { decodeExtendedMasterSecret } from './extensions/extended-master-secret.js';
import { decodeKeyShareClient, type KeyShareEntry } from './extensions/key-share.js';
import { findExtension, readExtensionList, writeExtensionList, type RawExtension } from './extensions/list.js';
import { decodePostHandshakeAuth } from './extensions/post-handshake-auth.js';
import { decodeOfferedPsks, type OfferedPsks } from './extensions/pre-shared-key.js';
import { decodePskKeyExchangeModes } from './extensions/psk-key-exchange-modes.js';
import { decodeRecordSizeLimit } from './extensions/record-size-limit.js';
import { decodeRenegotiationInfo } from './extensions/renegotiation-info.js';
import { decodeServerNameClient } from './extensions/server-name.js';
import { decodeSessionTicket } from './extensions/session-ticket.js';
import { decodeSignatureAlgorithms } from './extensions/signature-algorithms.js';
import { decodeSupportedGroups } from './extensions/supported-groups.js';
import { decodeSupportedVersionsClient } from './extensions/supported-versions.js';

export type { KeyShareEntry } from './extensions/key-share.js';
export type { OfferedPsks, PskIdentity } from './extensions/pre-shared-key.js';
export type { RawExtension } from './extensions/list.js';

export interface ClientHello {
  /** The whole handshake message (type, uint24 length, body): what the transcript hashes. */
  readonly raw: Uint8Array;
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: readonly number[];
  /** False for a pre-TLS 1.3 hello that has no extensions block at all. */
  readonly hasExtensionsBlock: boolean;
  /** Every extension, raw, in wire order (GREASE and unknown ones included). */
  readonly extensions: readonly RawExtension[];

  /** host_name from server_name, lowercased and validated; undefined when absent. */
  readonly serverName?: string;
  /** ALPN protocol names as latin1 strings (one char per byte), in client order. */
  readonly alpn?: readonly string[];
  readonly supportedVersions?: readonly number[];
  readonly supportedGroups?: readonly number[];
  readonly keyShares?: readonly KeyShareEntry[];
  readonly signatureAlgorithms?: readonly number[];
  readonly signatureAlgorithmsCert?: readonly number[];
  readonly pskKeyExchangeModes?: readonly number[];
  /** With `bindersOffset` relative to `raw`. */
  readonly preSharedKey?: OfferedPsks;
  /** TLS 1.2 session_ticket (extension 35) payload; empty when the client asks for a new one. */
  readonly sessionTicket?: Uint8Array;
  readonly earlyData: boolean;
  readonly cookie?: Uint8Array;
  readonly recordSizeLimit?: number;
  readonly postHandshakeAuth: boolean;
  readonly ecPointFormats?: readonly number[];
  readonly extendedMasterSecret: boolean;
  /** renegotiated_connection from renegotiation_info (empty on an initial hello). */
  readonly renegotiationInfo?: Uint8Array;
}

/**
 * Decodes a whole ClientHello handshake message (RFC 8446 §4.1.2). Structure is checked strictly
 * (bounded vectors, no trailing bytes, each extension once, pre_shared_key last, extensions only
 * where RFC 8446 §4.2 allows them); version and policy checks are left to the caller, since the
 * peek parser also routes TLS 1.2 clients.
 */
export function decodeClientHello(message: Uint8Array): ClientHello {
  try {
    return decode(message);
  } catch (err) {
    if (isTlsError(err)) throw err;
    // A bug, not bad input: keep the contract (only TlsError escapes) but make it visible.
    throw new TlsError('internal_error', 'client_hello decoder failed unexpectedly', { cause: err });
  }
}

function decode(message: Uint8Array): ClientHello {
  const r = new Reader(message);
  const type = r.u8();
  if (type !== HandshakeType.client_hello) throw new TlsError('unexpected_message', `expected client_hello, got handshake type ${type}`);
  const length = r.u24();
  if (length > r.remaining) throw new TlsError('truncated', `client_hello: length ${length} but ${r.remaining} byte(s) present`);
  if (length < r.remaining) throw new TlsError('trailing_bytes', `client_hello: ${r.remaining - length} byte(s) after the message`);

  const legacyVersion = r.u16();
  const random = r.bytesN(32, 'random');
  const legacySessionId = r.vector(1, 'legacy_session_id', 0, 32);
  const cipherSuites = readU16List(r, 2, 'cipher_suites', 2, 0xfffe);
  const compressionMethods = Array.from(r.vector(1, 'legacy_compression_methods', 1, 255));

  // RFC 5246 §7.4.1.2: a hello may end here (no extensions); RFC 8446 §4.1.2 requires them for 1.3,
  // which the engine checks through supported_versions.
  const hasExtensionsBlock = !r.atEnd;
  const extensions = hasExtensionsBlock ? readExtensionList(r, 'client_hello', 0) : [];
  r.expectEnd('client_hello');

  const hello: Mutable<ClientHello> = {
    raw: message,
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    compressionMethods,
    hasExtensionsBlock,
    extensions,
    earlyData: false,
    postHandshakeAuth: false,
    extendedMasterSecret: false,
  };
  for (const ext of extensions) decodeKnownExtension(hello, ext);
  return hello;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function decodeKnownExtension(hello: Mutable<ClientHello>, ext: RawExtension): void {
  const d = ext.data;
  switch (ext.type) {
    case ExtensionType.server_name: {
      const name = decodeServerNameClient(d);
      if (name !== undefined) hello.serverName = name;
      return;
    }
    case ExtensionType.application_layer_protocol_negotiation:
      hello.alpn = decodeAlpnClient(d);
      return;
    case ExtensionType.supported_versions:
      hello.supportedVersions = decodeSupportedVersionsClient(d);
      return;
    case ExtensionType.supported_groups:
      hello.supportedGroups = decodeSupportedGroups(d);
      return;
    case ExtensionType.key_share:
      hello.keyShares = decodeKeyShareClient(d);
      return;
    case ExtensionType.signature_algorithms:
      hello.signatureAlgorithms = decodeSignatureAlgorithms(d);
      return;
    case ExtensionType.signature_algorithms_cert:
      hello.signatureAlgorithmsCert = decodeSignatureAlgorithms(d, 'signature_algorithms_cert');
      return;
    case ExtensionType.psk_key_exchange_modes:
      hello.pskKeyExchangeModes = decodePskKeyExchangeModes(d);
      return;
    case ExtensionType.pre_shared_key: {
      const psk = decodeOfferedPsks(d);
      // extension header (4 bytes) + offset of the binders list inside extension_data
      hello.preSharedKey = { ...psk, bindersOffset: ext.offset + 4 + psk.bindersOffset };
      return;
    }
    case ExtensionType.session_ticket:
      hello.sessionTicket = decodeSessionTicket(d);
      return;
    case ExtensionType.early_data:
      hello.earlyData = decodeEarlyDataIndication(d);
      return;
    case ExtensionType.cookie:
      hello.cookie = decodeCookie(d);
      return;
    case ExtensionType.record_size_limit:
      hello.recordSizeLimit = decodeRecordSizeLimit(d);
      return;
    case ExtensionType.post_handshake_auth:
      hello.postHandshakeAuth = decodePostHandshakeAuth(d);
      return;
    case ExtensionType.ec_point_formats:
      hello.ecPointFormats = decodeEcPointFormats(d);
      return;
    case ExtensionType.extended_master_secret:
      hello.extendedMasterSecret = decodeExtendedMasterSecret(d);
      return;
    case ExtensionType.renegotiation_info:
      hello.renegotiationInfo = decodeRenegotiationInfo(d);
      return;
    default:
      return; // unknown or not needed here: kept raw only
  }
}

/** What `encodeClientHello` writes: the fixed fields and the extensions, raw, in order. */
export interface ClientHelloFields {
  legacyVersion?: number;
  random: Uint8Array;
  legacySessionId?: Uint8Array;
  cipherSuites: readonly number[];
  compressionMethods?: readonly number[];
  /** Omit for a hello without an extensions block. */
  extensions?: ReadonlyArray<{ type: number; data: Uint8Array }>;
}

/** Encodes a ClientHello handshake message (used by tests, fuzzers and the test client). */
export function encodeClientHello(fields: ClientHelloFields): Uint8Array {
  return buildHandshake(HandshakeType.client_hello, (w) => {
    w.u16(fields.legacyVersion ?? 0x0303);
    w.bytes(fields.random);
    const sid = fields.legacySessionId ?? new Uint8Array(0);
    w.vector(1, (v) => v.bytes(sid));
    writeU16List(w, 2, fields.cipherSuites);
    const comp = fields.compressionMethods ?? [0];
    w.vector(1, (v) => comp.forEach((c) => v.u8(c)));
    if (fields.extensions) writeExtensionList(w, fields.extensions);
  }, 512);
}

/** The truncated ClientHello the PSK binders are computed over (RFC 8446 §4.2.11.2). */
export function truncatedClientHello(hello: ClientHello): Uint8Array {
  if (!hello.preSharedKey) throw new TlsError('internal_error', 'client_hello has no pre_shared_key');
  return hello.raw.subarray(0, hello.preSharedKey.bindersOffset);
}

export function clientHelloExtension(hello: ClientHello, type: number): RawExtension | undefined {
  return findExtension(hello.extensions, type);
}

export { HANDSHAKE_HEADER_LENGTH };
