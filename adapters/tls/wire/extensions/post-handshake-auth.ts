// post_handshake_auth (RFC 8446 §4.2.6): the client is willing to authenticate after the handshake.
import { decodeEmpty } from './empty.js';

export function decodePostHandshakeAuth(data: Uint8Array): true {
  decodeEmpty(data, 'post_handshake_auth');
  return true;
}
