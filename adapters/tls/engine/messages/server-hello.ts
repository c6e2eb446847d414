// ServerHello and HelloRetryRequest (RFC 8446 §4.1.3–§4.1.4): one structure, told apart by the
// special random SHA-256("HelloRetryRequest"). Encoded by the server, decoded by test clients.
import { HandshakeType, ProtocolVersion } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { readExtensionList, writeExtensionList, type RawExtension } from '../../wire/extensions/list.js';

/** RFC 8446 §4.1.3: SHA-256 of "HelloRetryRequest". */
export const HELLO_RETRY_REQUEST_RANDOM = new Uint8Array([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

export interface ServerHelloFields {
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  /** In the order they go on the wire. */
  readonly extensions: ReadonlyArray<{ type: number; data: Uint8Array }>;
}

export interface ServerHello extends ServerHelloFields {
  readonly raw: Uint8Array;
  readonly isHelloRetryRequest: boolean;
  readonly extensions: readonly RawExtension[];
}

export function encodeServerHello(f: ServerHelloFields): Uint8Array {
  return buildHandshake(HandshakeType.server_hello, (w) => {
    w.u16(ProtocolVersion.TLS1_2); // legacy_version (§4.1.3)
    w.bytes(f.random);
    w.vector(1, (v) => v.bytes(f.legacySessionIdEcho));
    w.u16(f.cipherSuite);
    w.u8(0); // legacy_compression_method
    writeExtensionList(w, f.extensions);
  });
}

export function encodeHelloRetryRequest(f: Omit<ServerHelloFields, 'random'>): Uint8Array {
  return encodeServerHello({ ...f, random: HELLO_RETRY_REQUEST_RANDOM });
}

export function decodeServerHello(raw: Uint8Array): ServerHello {
  const { body } = readHandshakeFrame(raw, HandshakeType.server_hello);
  const r = new Reader(body);
  const version = r.u16();
  if (version !== ProtocolVersion.TLS1_2) throw new TlsError('illegal_parameter', `server_hello legacy_version ${version}`);
  const random = r.bytesN(32, 'random');
  const legacySessionIdEcho = r.vector(1, 'legacy_session_id_echo', 0, 32);
  const cipherSuite = r.u16();
  if (r.u8() !== 0) throw new TlsError('illegal_parameter', 'server_hello compression method');
  const isHelloRetryRequest = random.every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
  const extensions = readExtensionList(r, isHelloRetryRequest ? 'hello_retry_request' : 'server_hello', 4, { min: 6 });
  r.expectEnd('server_hello');
  return { raw, random, legacySessionIdEcho, cipherSuite, extensions, isHelloRetryRequest };
}
