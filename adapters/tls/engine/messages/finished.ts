// Finished (RFC 8446 §4.4.4): verify_data, exactly Hash.length bytes.
import { HandshakeType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { encodeHandshake, readHandshakeFrame } from '../../wire/handshake.js';

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.finished, verifyData);
}

export function decodeFinished(raw: Uint8Array, hashLength: number): Uint8Array {
  const { body } = readHandshakeFrame(raw, HandshakeType.finished);
  if (body.length !== hashLength) throw new TlsError('decode_error', `finished of ${body.length} bytes, expected ${hashLength}`);
  return body;
}
