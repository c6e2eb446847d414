// ec_point_formats (RFC 8422 §5.1.2): a TLS 1.2 extension, read for fingerprints and TLS 1.2 routing.
import { readU8List } from '../lists.js';
import { decodeWhole, encodeWith } from './codec.js';

export function decodeEcPointFormats(data: Uint8Array): number[] {
  return decodeWhole(data, 'ec_point_formats', (r) => readU8List(r, 'ec_point_formats', 1, 255));
}

export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  return encodeWith((w) => w.vector(1, (v) => formats.forEach((f) => v.u8(f))));
}
