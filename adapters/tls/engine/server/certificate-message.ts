// The server's Certificate message (RFC 8446 §4.4.2) depends only on its chain: the request
// context is empty in a handshake, and tlsedge sends no per-certificate extensions. Encoded once per
// chain and reused by every handshake of that certificate — a full handshake that waits for a slow
// signer holds this ~1–2 KB message for the whole wait, and the young-generation collector copied a
// fresh one for each. The bytes are shared: nothing may modify them (the flight only reads them).
import { encodeCertificate } from '../messages/certificate.js';

const EMPTY_CONTEXT = new Uint8Array(0);
const encoded = new WeakMap<readonly Uint8Array[], Uint8Array>();

export function serverCertificateMessage(chain: readonly Uint8Array[]): Uint8Array {
  let message = encoded.get(chain);
  if (!message) {
    message = encodeCertificate(EMPTY_CONTEXT, chain);
    encoded.set(chain, message);
  }
  return message;
}
