// A TicketPort over scoped ticket keys (docs/design/ticket-keys.md): the offload engine's tickets
// under the fleet block, with the same key names as the native engine's — scope name (8) || node
// tag (8) — so the ticket router and `issuedBy` work for both engines.
// Tickets are in the one offload format (ticket-aead.ts).
import type { TicketPort } from '../engine/server/ports.js';
import { openTicket, sealTicket, ticketAeadKey, TICKET_NAME_LENGTH } from './ticket-aead.js';

const SCOPE_NAME = 8;
const NODE_TAG = TICKET_NAME_LENGTH - SCOPE_NAME;
const NAME = TICKET_NAME_LENGTH;

/** One key of a scope: what `deriveScopedParts` gives for a block key and a scope. */
export interface ScopedTicketKey {
  /** 8 bytes, hex (16 chars): the first half of every ticket's key name. */
  readonly scopeName: string;
  /** 32 secret bytes, derived per (block key, scope): the AEAD key comes from them alone. */
  readonly secrets: Uint8Array;
  /** The active key seals; every key opens. */
  readonly active: boolean;
}

interface Held {
  readonly scopeName: Buffer;
  readonly aeadKey: Buffer;
}

/** The active key with this node's full key name, built once: every ticket of the connection uses them. */
interface Sealing extends Held {
  readonly keyName: Buffer;
  readonly keyNameHex: string;
}

/**
 * Seals with the active key under this node's tag and opens tickets of every node: the secrets
 * depend only on (block key, scope), the tag only says who issued the ticket (and, being part of
 * the authenticated key name, cannot be changed without the ticket failing to open).
 */
export class ScopedTicketSealer implements TicketPort {
  private readonly held: Held[];
  private readonly sealing: Sealing | undefined;
  private readonly tag: Buffer;

  constructor(keys: readonly ScopedTicketKey[], nodeTag: Uint8Array) {
    if (nodeTag.length !== NODE_TAG) throw new RangeError(`node tag must be ${NODE_TAG} bytes`);
    this.tag = Buffer.from(nodeTag);
    this.held = [];
    let sealing: Held | undefined;
    for (const k of keys) {
      const scopeName = Buffer.from(k.scopeName, 'hex');
      if (scopeName.length !== SCOPE_NAME || k.secrets.length !== 32) throw new RangeError('a scoped ticket key needs an 8-byte scope name and 32 secret bytes');
      const held = { scopeName, aeadKey: ticketAeadKey(k.secrets) };
      this.held.push(held);
      if (k.active && !sealing) sealing = held;
    }
    if (sealing) {
      const keyName = Buffer.concat([sealing.scopeName, this.tag]);
      this.sealing = { ...sealing, keyName, keyNameHex: keyName.toString('hex') };
    }
  }

  seal(plaintext: Uint8Array): Uint8Array | undefined {
    const key = this.sealing;
    if (!key) return undefined;
    return sealTicket(key.keyName, key.aeadKey, plaintext);
  }

  open(ticket: Uint8Array): Uint8Array | undefined {
    const key = this.find(ticket);
    return key ? openTicket(ticket, key.aeadKey) : undefined;
  }

  /** The ticket's full key name (scope name || node tag), hex, when its scope name is one of ours. */
  keyNameOf(ticket: Uint8Array): string | undefined {
    if (ticket.length < NAME) return undefined;
    const name = Buffer.from(ticket.buffer, ticket.byteOffset, NAME);
    // Most names asked about are of tickets this node just sealed.
    if (this.sealing?.keyName.equals(name)) return this.sealing.keyNameHex;
    return this.find(ticket) ? name.toString('hex') : undefined;
  }

  private find(ticket: Uint8Array): Held | undefined {
    if (ticket.length < NAME) return undefined;
    const scope = Buffer.from(ticket.buffer, ticket.byteOffset, SCOPE_NAME);
    for (const k of this.held) if (k.scopeName.equals(scope)) return k;
    return undefined;
  }
}
