// JA4 TLS client fingerprint (FoxIO JA4 spec, technical_details/JA4.md): `t13d1516h2_<ciphers>_<exts>`.
// GREASE is ignored everywhere; ciphers and extensions are sorted; SNI and ALPN count in the
// header but are left out of the extension hash; signature algorithms stay in wire order.
import { hash } from 'node:crypto';
import { ExtensionType, isGrease } from '../wire/enums.js';
import type { ClientHello } from '../wire/client-hello.js';
import { latin1Bytes } from '../wire/extensions/alpn.js';
import { offeredVersionsForJa4 } from './ja4-version.js';

export type Ja4Transport = 't' | 'q' | 'd';

/** The JA4 fingerprint of a ClientHello (TLS over TCP unless told otherwise). */
export function ja4(hello: ClientHello, transport: Ja4Transport = 't'): string {
  const parts = ja4Parts(hello, transport);
  return `${parts.a}_${hashOrZeros(parts.ciphers.join(','), parts.ciphers.length)}_${hashOrZeros(extensionString(parts), parts.extensions.length)}`;
}

/** JA4_r: the same fingerprint with the sorted lists in clear instead of hashed. */
export function ja4Raw(hello: ClientHello, transport: Ja4Transport = 't'): string {
  const parts = ja4Parts(hello, transport);
  return `${parts.a}_${parts.ciphers.join(',')}_${extensionString(parts)}`;
}

interface Ja4Parts {
  a: string;
  ciphers: string[];
  extensions: string[];
  signatureAlgorithms: string[];
}

// This runs once per connection on the accept path: sort numbers (same order as sorting their
// 4-digit hex strings) and format once, instead of formatting then sorting strings.
function ja4Parts(hello: ClientHello, transport: Ja4Transport): Ja4Parts {
  const ciphers = sortedHex(hello.cipherSuites, () => true);
  let extensionCount = 0;
  let sni = 'i';
  for (const e of hello.extensions) {
    if (isGrease(e.type)) continue;
    extensionCount++;
    if (e.type === ExtensionType.server_name) sni = 'd';
  }
  const a = `${transport}${offeredVersionsForJa4(hello)}${sni}${count(ciphers.length)}${count(extensionCount)}${alpnChars(hello)}`;
  const extensions = sortedHex(
    hello.extensions.map((e) => e.type),
    (t) => t !== ExtensionType.server_name && t !== ExtensionType.application_layer_protocol_negotiation,
  );
  const signatureAlgorithms: string[] = [];
  for (const s of hello.signatureAlgorithms ?? []) if (!isGrease(s)) signatureAlgorithms.push(hex4(s));
  return { a, ciphers, extensions, signatureAlgorithms };
}

function sortedHex(values: readonly number[], keep: (v: number) => boolean): string[] {
  const kept = new Uint16Array(values.length);
  let n = 0;
  for (const v of values) if (!isGrease(v) && keep(v)) kept[n++] = v;
  const sorted = kept.subarray(0, n).sort();
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = hex4(sorted[i]!);
  return out;
}

function extensionString(p: Ja4Parts): string {
  const list = p.extensions.join(',');
  // "If there are no signature algorithms in the hello packet, then the string ends without an underscore."
  return p.signatureAlgorithms.length ? `${list}_${p.signatureAlgorithms.join(',')}` : list;
}

function hashOrZeros(input: string, items: number): string {
  // An empty list is "000000000000", not the hash of nothing (spec: makes empty fields obvious).
  if (items === 0) return '000000000000';
  return hash('sha256', input, 'hex').slice(0, 12);
}

function count(n: number): string {
  return n > 99 ? '99' : n.toString().padStart(2, '0');
}

const HEX = '0123456789abcdef';

function hex4(v: number): string {
  return HEX[(v >> 12) & 15]! + HEX[(v >> 8) & 15]! + HEX[(v >> 4) & 15]! + HEX[v & 15]!;
}

/** First and last character of the first ALPN value; hex digits when either byte is not alphanumeric. */
function alpnChars(hello: ClientHello): string {
  const first = hello.alpn?.[0];
  if (first === undefined || first.length === 0) return '00';
  const bytes = latin1Bytes(first);
  const f = bytes[0]!;
  const l = bytes[bytes.length - 1]!;
  if (isAlnum(f) && isAlnum(l)) return String.fromCharCode(f) + String.fromCharCode(l);
  const h = Buffer.from(bytes).toString('hex');
  return h[0]! + h[h.length - 1]!;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
