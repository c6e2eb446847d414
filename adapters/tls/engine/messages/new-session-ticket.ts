// NewSessionTicket (RFC 8446 §4.6.1): lifetime, age_add, nonce, the ticket (our sealed session or
// a session-store key) and extensions (early_data carries max_early_data_size).
import { HandshakeType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { readExtensionList, writeExtensionList, type RawExtension } from '../../wire/extensions/list.js';

/** RFC 8446 §4.6.1: servers MUST NOT use any value greater than 604800 seconds (7 days). */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;

export interface NewSessionTicketFields {
  readonly lifetimeSeconds: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: ReadonlyArray<{ type: number; data: Uint8Array }>;
}

export interface NewSessionTicket extends NewSessionTicketFields {
  readonly raw: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

export function encodeNewSessionTicket(f: NewSessionTicketFields): Uint8Array {
  if (f.lifetimeSeconds > MAX_TICKET_LIFETIME_SECONDS) throw new TlsError('internal_error', `ticket lifetime ${f.lifetimeSeconds}s exceeds 7 days`);
  return buildHandshake(
    HandshakeType.new_session_ticket,
    (w) => {
      w.u32(f.lifetimeSeconds).u32(f.ageAdd >>> 0);
      w.vector(1, (v) => v.bytes(f.nonce));
      w.vector(2, (v) => v.bytes(f.ticket));
      writeExtensionList(w, f.extensions);
    },
    f.ticket.length + 32,
  );
}

export function decodeNewSessionTicket(raw: Uint8Array): NewSessionTicket {
  const { body } = readHandshakeFrame(raw, HandshakeType.new_session_ticket);
  const r = new Reader(body);
  const lifetimeSeconds = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vector(1, 'ticket_nonce', 0, 255);
  const ticket = r.vector(2, 'ticket', 1, 0xffff);
  const extensions = readExtensionList(r, 'new_session_ticket', 4);
  r.expectEnd('new_session_ticket');
  return { raw, lifetimeSeconds, ageAdd, nonce, ticket, extensions };
}
