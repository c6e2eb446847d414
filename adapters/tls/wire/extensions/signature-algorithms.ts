// signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3): the same
// SignatureSchemeList shape, in the ClientHello and in a CertificateRequest.
import { readU16List, writeU16List } from '../lists.js';
import { decodeWhole, encodeWith } from './codec.js';

export function decodeSignatureAlgorithms(data: Uint8Array, what = 'signature_algorithms'): number[] {
  return decodeWhole(data, what, (r) => readU16List(r, 2, what, 2, 0xfffe));
}

export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  return encodeWith((w) => writeU16List(w, 2, schemes));
}
