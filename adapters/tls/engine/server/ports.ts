// The engine's ports besides crypto: stateless ticket sealing (the ticket-key block lives with the
// key-rotation actor; the engine sees only this) and the clock.

/**
 * Seals and opens session tickets with the fleet's ticket-key block (RFC 8446 §4.6.1 leaves the
 * format to the server). Synchronous: the key block is in memory. Implementations must
 * authenticate (AEAD) and put a key name in front so rotation can keep old keys for opening.
 */
export interface TicketPort {
  /** A ticket for `plaintext` under the active key, or undefined when no key is active. */
  seal(plaintext: Uint8Array): Uint8Array | undefined;
  /** The plaintext, or undefined for a ticket from an unknown/retired key or one that fails to authenticate. */
  open(ticket: Uint8Array): Uint8Array | undefined;
  /** The key id a ticket names (hex), for events; undefined if it is not one of ours. */
  keyNameOf(ticket: Uint8Array): string | undefined;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
