// A reference TicketPort over an ATS-format key block (48-byte keys back to back, the first one
// seals — CONFIG.md `session.tickets.key_file`), in the one offload ticket format (ticket-aead.ts);
// the AEAD key is HKDF-SHA256 of the whole 48-byte key, so the same block can also feed
// node:tls's setTicketKeys for the native engine.
import type { TicketPort } from '../engine/server/ports.js';
import { openTicket, sealTicket, ticketAeadKey, TICKET_NAME_LENGTH as NAME } from './ticket-aead.js';

export const TICKET_KEY_LENGTH = 48;

interface Key {
  readonly name: Buffer;
  readonly hexName: string;
  readonly aeadKey: Buffer;
}

export class TicketKeyRing implements TicketPort {
  private keys: Key[] = [];

  /** @param block ATS-format key block (a multiple of 48 bytes); the first key seals. */
  constructor(block?: Uint8Array) {
    if (block) this.setKeys(block);
  }

  /** Replaces the keys (rotation): the first seals, all open. Key material is copied. */
  setKeys(block: Uint8Array): void {
    if (block.length % TICKET_KEY_LENGTH !== 0) throw new RangeError(`ticket key block of ${block.length} bytes is not a multiple of 48`);
    const keys: Key[] = [];
    for (let i = 0; i < block.length; i += TICKET_KEY_LENGTH) {
      const raw = Buffer.from(block.subarray(i, i + TICKET_KEY_LENGTH));
      keys.push({
        name: raw.subarray(0, NAME),
        hexName: raw.subarray(0, NAME).toString('hex'),
        aeadKey: ticketAeadKey(raw),
      });
    }
    this.keys = keys;
  }

  seal(plaintext: Uint8Array): Uint8Array | undefined {
    const key = this.keys[0];
    if (!key) return undefined;
    return sealTicket(key.name, key.aeadKey, plaintext);
  }

  open(ticket: Uint8Array): Uint8Array | undefined {
    // the key was found by its name: the ticket's name bytes are the AAD it was sealed with
    const key = this.find(ticket);
    return key ? openTicket(ticket, key.aeadKey) : undefined;
  }

  keyNameOf(ticket: Uint8Array): string | undefined {
    return this.find(ticket)?.hexName;
  }

  private find(ticket: Uint8Array): Key | undefined {
    if (ticket.length < NAME) return undefined;
    const name = Buffer.from(ticket.buffer, ticket.byteOffset, NAME);
    return this.keys.find((k) => k.name.equals(name));
  }
}
