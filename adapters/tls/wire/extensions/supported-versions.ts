// supported_versions (RFC 8446 §4.2.1): a list in the ClientHello, one selected version in the
// ServerHello and HelloRetryRequest.
import { readU16List, writeU16List } from '../lists.js';
import { decodeWhole, encodeWith } from './codec.js';

export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  return decodeWhole(data, 'supported_versions', (r) => readU16List(r, 1, 'supported_versions', 2, 254));
}

export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  return encodeWith((w) => writeU16List(w, 1, versions));
}

export function decodeSupportedVersionsServer(data: Uint8Array): number {
  return decodeWhole(data, 'supported_versions', (r) => r.u16());
}

export function encodeSupportedVersionsServer(version: number): Uint8Array {
  return encodeWith((w) => w.u16(version), 2);
}
