// KeyUpdate (RFC 8446 §4.6.3): request_update is update_not_requested(0) or update_requested(1).
import { HandshakeType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { encodeHandshake, readHandshakeFrame } from '../../wire/handshake.js';

export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return encodeHandshake(HandshakeType.key_update, new Uint8Array([requestUpdate ? 1 : 0]));
}

/** True when the peer asks us to update our keys too. */
export function decodeKeyUpdate(raw: Uint8Array): boolean {
  const { body } = readHandshakeFrame(raw, HandshakeType.key_update);
  if (body.length !== 1) throw new TlsError('decode_error', `key_update of ${body.length} bytes`);
  // §4.6.3: any other value MUST be answered with an illegal_parameter alert.
  if (body[0]! > 1) throw new TlsError('illegal_parameter', `key_update request_update ${body[0]}`);
  return body[0] === 1;
}
