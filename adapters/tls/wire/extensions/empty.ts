// Extensions whose extension_data must be empty (early_data indication, post_handshake_auth,
// extended_master_secret, server_name acknowledgement).
import { TlsError } from '../errors.js';
import { EMPTY } from './codec.js';

export function decodeEmpty(data: Uint8Array, what: string): void {
  if (data.length !== 0) throw new TlsError('decode_error', `${what}: extension_data must be empty, got ${data.length} byte(s)`);
}

export function encodeEmpty(): Uint8Array {
  return EMPTY;
}
