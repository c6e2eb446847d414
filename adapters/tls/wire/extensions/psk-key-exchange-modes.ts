// psk_key_exchange_modes (RFC 8446 §4.2.9): which PSK modes (psk_ke, psk_dhe_ke) the client allows.
import { readU8List } from '../lists.js';
import { decodeWhole, encodeWith } from './codec.js';

export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return decodeWhole(data, 'psk_key_exchange_modes', (r) => readU8List(r, 'psk_key_exchange_modes', 1, 255));
}

export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  return encodeWith((w) => w.vector(1, (v) => modes.forEach((m) => v.u8(m))));
}
