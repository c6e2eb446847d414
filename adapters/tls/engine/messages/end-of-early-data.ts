// EndOfEarlyData (RFC 8446 §4.5): an empty message a client sends only after the server accepted
// early data — which this engine never does, so receiving one is an unexpected_message.
import { HandshakeType } from '../../wire/enums.js';
import { encodeHandshake } from '../../wire/handshake.js';

export function encodeEndOfEarlyData(): Uint8Array {
  return encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0));
}
