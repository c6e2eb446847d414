// Tells a plain-HTTP request (someone speaking http:// to the TLS port) from garbage, so the
// listener can answer it with a redirect or a 400 instead of a TLS alert the client cannot read.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PRI'].map((m) => `${m} `);

export type HttpSniff = 'http' | 'not_http' | 'need_more';

/** `http` once the bytes start with a known method and a space (`PRI ` is the h2c preface). */
export function sniffHttp(bytes: Uint8Array): HttpSniff {
  let prefixOfSome = false;
  for (const m of METHODS) {
    const n = Math.min(m.length, bytes.length);
    let match = true;
    for (let i = 0; i < n; i++) {
      if (bytes[i] !== m.charCodeAt(i)) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    if (bytes.length >= m.length) return 'http';
    prefixOfSome = true;
  }
  return prefixOfSome ? 'need_more' : 'not_http';
}

/** True when `bytes` begin with an HTTP/1.x request line's method (or the HTTP/2 preface). */
export function looksLikeHttp(bytes: Uint8Array): boolean {
  return sniffHttp(bytes) === 'http';
}
