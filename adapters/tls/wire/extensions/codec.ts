// Shared shape of the per-extension codec files: decode from extension_data with a bounded Reader
// that must be consumed entirely (RFC 8446 §4.2: trailing bytes are a decode_error).
import { Reader } from '../reader.js';
import { Writer } from '../writer.js';

/** Runs `body` on a Reader over `data` and checks that nothing is left over. */
export function decodeWhole<T>(data: Uint8Array, what: string, body: (r: Reader) => T): T {
  const r = new Reader(data);
  const value = body(r);
  r.expectEnd(what);
  return value;
}

/** The bytes `body` writes. */
export function encodeWith(body: (w: Writer) => void, capacity = 64): Uint8Array {
  const w = new Writer(capacity);
  body(w);
  return w.finish();
}

export const EMPTY = new Uint8Array(0);
