// The resumable session (RFC 8446 §4.6.1 leaves its format to the server): what a ticket seals or
// the session store keeps. It holds the resumption PSK — a secret that must only ever be stored
// or sent sealed (by the ticket port, or by the session-store actor under the fleet key).
import { TlsError } from '../../wire/errors.js';
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { utf8 } from '../bytes.js';

const FORMAT = 1;

export interface ResumableSession {
  readonly suite: number;
  readonly psk: Uint8Array;
  readonly issuedAtMs: number;
  readonly ageAdd: number;
  readonly lifetimeSeconds: number;
  /** The SNI the session was established under ('' without SNI): resumption is bound to it. */
  readonly sni: string;
  readonly alpn: string;
  readonly maxEarlyData: number;
  /** The client chain (DER) authenticated in the full handshake, so a resumption keeps the identity. */
  readonly clientCertificates: readonly Uint8Array[];
}

export function encodeSession(s: ResumableSession): Uint8Array {
  const w = new Writer(128 + s.clientCertificates.reduce((n, c) => n + c.length + 3, 0));
  w.u8(FORMAT).u16(s.suite);
  w.vector(1, (v) => v.bytes(s.psk));
  // milliseconds as two 32-bit halves (exact up to 2^53)
  w.u32(Math.floor(s.issuedAtMs / 2 ** 32)).u32(s.issuedAtMs % 2 ** 32);
  w.u32(s.ageAdd >>> 0).u32(s.lifetimeSeconds).u32(s.maxEarlyData);
  w.vector(1, (v) => v.bytes(utf8(s.sni)));
  w.vector(1, (v) => v.bytes(latin1(s.alpn)));
  w.vector(3, (list) => {
    for (const c of s.clientCertificates) list.vector(3, (v) => v.bytes(c));
  });
  return w.finish();
}

/** Decodes session bytes; anything malformed is a TlsError (the caller treats it as an unknown PSK). */
export function decodeSession(bytes: Uint8Array): ResumableSession {
  const r = new Reader(bytes);
  if (r.u8() !== FORMAT) throw new TlsError('decode_error', 'unknown session format');
  const suite = r.u16();
  const psk = r.vector(1, 'psk', 32, 64).slice();
  const issuedAtMs = r.u32() * 2 ** 32 + r.u32();
  const ageAdd = r.u32();
  const lifetimeSeconds = r.u32();
  const maxEarlyData = r.u32();
  const sni = new TextDecoder().decode(r.vector(1, 'sni'));
  const alpnBytes = r.vector(1, 'alpn');
  let alpn = '';
  for (const b of alpnBytes) alpn += String.fromCharCode(b);
  const list = r.sub(3, 'client certificates');
  const clientCertificates: Uint8Array[] = [];
  while (!list.atEnd) clientCertificates.push(list.vector(3, 'client certificate', 1).slice());
  r.expectEnd('session');
  return { suite, psk, issuedAtMs, ageAdd, lifetimeSeconds, sni, alpn, maxEarlyData, clientCertificates };
}

function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
