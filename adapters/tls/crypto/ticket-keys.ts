// A reference TicketPort over an ATS-format key block (48-byte keys back to back, the first one
// seals — CONFIG.md `session.tickets.key_file`). Ticket = key name (16) || nonce (12) ||
// AES-256-GCM(session) || tag (16), AAD = key name; the AEAD key is HKDF-SHA256 of the whole
// 48-byte key, so the same block can also feed node:tls's setTicketKeys for the native engine.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { TicketPort } from '../engine/server/ports.js';

export const TICKET_KEY_LENGTH = 48;
const NAME = 16;
const NONCE = 12;
const TAG = 16;

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
        aeadKey: Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), 'tlsedge offload ticket v1', 32)),
      });
    }
    this.keys = keys;
  }

  seal(plaintext: Uint8Array): Uint8Array | undefined {
    const key = this.keys[0];
    if (!key) return undefined;
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', key.aeadKey, nonce);
    c.setAAD(key.name);
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return new Uint8Array(Buffer.concat([key.name, nonce, body, c.getAuthTag()]));
  }

  open(ticket: Uint8Array): Uint8Array | undefined {
    if (ticket.length < NAME + NONCE + TAG + 1) return undefined;
    const key = this.find(ticket);
    if (!key) return undefined;
    const d = createDecipheriv('aes-256-gcm', key.aeadKey, ticket.subarray(NAME, NAME + NONCE));
    d.setAAD(key.name);
    d.setAuthTag(ticket.subarray(ticket.length - TAG));
    try {
      return new Uint8Array(Buffer.concat([d.update(ticket.subarray(NAME + NONCE, ticket.length - TAG)), d.final()]));
    } catch {
      return undefined;
    }
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
