// Vectors of 16-bit code points (cipher suites, groups, signature schemes, versions), the most
// common shape in TLS (RFC 8446 §3): the byte length must be even and inside the RFC's bounds.
import { TlsError } from './errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Reads `uint16 values<min..max>` (bounds in bytes, as the RFC writes them). */
export function readU16List(r: Reader, lengthBytes: 1 | 2, what: string, min: number, max: number): number[] {
  const v = r.vector(lengthBytes, what, min, max);
  if (v.length % 2 !== 0) throw new TlsError('decode_error', `${what}: odd length ${v.length}`);
  const out = new Array<number>(v.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (v[2 * i]! << 8) | v[2 * i + 1]!;
  return out;
}

export function writeU16List(w: Writer, lengthBytes: 1 | 2, values: readonly number[]): void {
  w.vector(lengthBytes, (v) => {
    for (const x of values) v.u16(x);
  });
}

/** Reads `uint8 values<min..max>`. */
export function readU8List(r: Reader, what: string, min: number, max: number): number[] {
  return Array.from(r.vector(1, what, min, max));
}
