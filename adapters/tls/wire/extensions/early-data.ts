// early_data (RFC 8446 §4.2.10): empty in the ClientHello and EncryptedExtensions; in a
// NewSessionTicket it carries max_early_data_size.
import { decodeWhole, encodeWith } from './codec.js';
import { decodeEmpty } from './empty.js';

export function decodeEarlyDataIndication(data: Uint8Array): true {
  decodeEmpty(data, 'early_data');
  return true;
}

export function decodeEarlyDataTicket(data: Uint8Array): number {
  return decodeWhole(data, 'early_data', (r) => r.u32());
}

export function encodeEarlyDataTicket(maxEarlyDataSize: number): Uint8Array {
  return encodeWith((w) => w.u32(maxEarlyDataSize), 4);
}
