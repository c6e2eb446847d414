// The offload engine's session ticket, whatever holds its keys (an ATS key block or scoped fleet
// keys): key name (16) || nonce (12) || AES-256-GCM(session) || tag (16), AAD = key name.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { RandomPool } from './random-pool.js';

/** Bytes of a ticket's key name, which routes it to the key that opens it. */
export const TICKET_NAME_LENGTH = 16;
const NONCE = 12;
const TAG = 16;

/** The AEAD key of a ticket key. A label of its own: the same secrets also feed OpenSSL's HMAC/AES keys for the native engine. */
export function ticketAeadKey(secret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'tlsedge offload ticket v1', 32));
}

const nonces = new RandomPool();

/** A ticket carrying `plaintext` under key name `name` (16 bytes), sealed with a fresh nonce. */
export function sealTicket(name: Buffer, aeadKey: Buffer, plaintext: Uint8Array): Uint8Array {
  const nonce = nonces.take(NONCE);
  const c = createCipheriv('aes-256-gcm', aeadKey, nonce);
  c.setAAD(name);
  // One allocation for the whole ticket: GCM's final() adds no bytes, so the body is update()'s.
  const ticket = new Uint8Array(TICKET_NAME_LENGTH + NONCE + plaintext.length + TAG);
  ticket.set(name, 0);
  ticket.set(nonce, TICKET_NAME_LENGTH);
  ticket.set(c.update(plaintext), TICKET_NAME_LENGTH + NONCE);
  c.final();
  ticket.set(c.getAuthTag(), ticket.length - TAG);
  return ticket;
}

/** The plaintext of `ticket` opened with the key its name routed to, or undefined (too short, or not authentic). */
export function openTicket(ticket: Uint8Array, aeadKey: Buffer): Uint8Array | undefined {
  if (ticket.length < TICKET_NAME_LENGTH + NONCE + TAG + 1) return undefined;
  const d = createDecipheriv('aes-256-gcm', aeadKey, ticket.subarray(TICKET_NAME_LENGTH, TICKET_NAME_LENGTH + NONCE));
  d.setAAD(ticket.subarray(0, TICKET_NAME_LENGTH));
  d.setAuthTag(ticket.subarray(ticket.length - TAG));
  try {
    return new Uint8Array(Buffer.concat([d.update(ticket.subarray(TICKET_NAME_LENGTH + NONCE, ticket.length - TAG)), d.final()]));
  } catch {
    return undefined;
  }
}
