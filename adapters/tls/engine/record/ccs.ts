// Middlebox compatibility mode (RFC 8446 §D.4, §5): the dummy change_cipher_spec record the server
// sends after its first handshake message, and the rule for the client's: one byte 0x01, dropped.
import { TlsError } from '../../wire/errors.js';

/** change_cipher_spec record, version 0x0303, payload 0x01. */
export const CCS_RECORD = new Uint8Array([20, 3, 3, 0, 1, 1]);

/** Checks a received change_cipher_spec record; anything but the single byte 0x01 is fatal. */
export function checkCompatibilityCcs(fragment: Uint8Array): void {
  if (fragment.length !== 1 || fragment[0] !== 1) {
    throw new TlsError('unexpected_message', 'change_cipher_spec record other than the single byte 0x01');
  }
}
