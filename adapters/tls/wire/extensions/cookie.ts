// cookie (RFC 8446 §4.2.2): sent in a HelloRetryRequest and echoed in the second ClientHello.
import { decodeWhole, encodeWith } from './codec.js';

export function decodeCookie(data: Uint8Array): Uint8Array {
  return decodeWhole(data, 'cookie', (r) => r.vector(2, 'cookie', 1, 0xffff));
}

export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return encodeWith((w) => w.vector(2, (v) => v.bytes(cookie)), cookie.length + 2);
}
