// supported_groups (RFC 8446 §4.2.7): the same NamedGroupList in the ClientHello and in
// EncryptedExtensions (where the server may tell the client what it prefers).
import { readU16List, writeU16List } from '../lists.js';
import { decodeWhole, encodeWith } from './codec.js';

export function decodeSupportedGroups(data: Uint8Array): number[] {
  return decodeWhole(data, 'supported_groups', (r) => readU16List(r, 2, 'supported_groups', 2, 0xffff));
}

export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  return encodeWith((w) => writeU16List(w, 2, groups));
}
