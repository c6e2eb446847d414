// application_layer_protocol_negotiation (RFC 7301 §3.1). Protocol names are opaque bytes; they are
// carried here as latin1 strings (one char per byte) so any byte string round-trips exactly.
import { TlsError } from '../errors.js';
import type { Reader } from '../reader.js';
import { decodeWhole, encodeWith } from './codec.js';

/** The client's ProtocolNameList, in its order. */
export function decodeAlpnClient(data: Uint8Array): string[] {
  return decodeWhole(data, 'alpn', readNames);
}

export function encodeAlpnClient(protocols: readonly string[]): Uint8Array {
  return encodeWith((w) =>
    w.vector(2, (l) => {
      for (const p of protocols) l.vector(1, (v) => v.bytes(latin1Bytes(p)));
    }),
  );
}

/** The server's choice: a ProtocolNameList of exactly one name (RFC 7301 §3.1). */
export function decodeAlpnServer(data: Uint8Array): string {
  const names = decodeAlpnClient(data);
  if (names.length !== 1) throw new TlsError('decode_error', `alpn: server must select exactly one protocol, got ${names.length}`);
  return names[0]!;
}

export function encodeAlpnServer(protocol: string): Uint8Array {
  return encodeAlpnClient([protocol]);
}

function readNames(r: Reader): string[] {
  const list = r.sub(2, 'alpn protocol_name_list', 2, 0xffff);
  const out: string[] = [];
  while (!list.atEnd) out.push(latin1String(list.vector(1, 'alpn protocol name', 1, 0xff)));
  return out;
}

export function latin1String(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
