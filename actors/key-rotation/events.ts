// The key-rotation actor's events: the ticket-key block is the fold of these (state.ts). They carry
// key ids and epochs; the only key material is the `sealed` field of `staged` — AES-256-GCM under
// the fleet key with the key id as associated data — so the log never holds a key in the clear.
import type { CloudEvent } from '../../bus/envelope.js';

/** Correlation id of the block's event stream: one per fleet, continued by every leader. */
export const TICKET_KEY_STREAM = 'ticket-keys';
export const TICKET_KEY_EVENT_PREFIX = 'tlsedge.ticketkey.';

export type KeyOrigin = 'generated' | 'imported';

export interface TicketKeyEventData {
  /** A rotator took the lease; its `term` fences every event it records after this one. */
  leader_elected: { node: string; term: number };
  /** A new key was made (or imported) and is being distributed: proxies decrypt with it, none encrypts yet. */
  staged: { keyId: string; epoch: number; sealed: string; origin: KeyOrigin; expected: string[]; deadline: string; term: number };
  /** A proxy reported that it holds a staged key. */
  acknowledged: { keyId: string; epoch: number; node: string; term: number };
  /** The bounded wait for acknowledgements ended; `missing` are the live proxies that did not answer. */
  stage_timed_out: { keyId: string; epoch: number; missing: string[]; term: number };
  /** The key became the encrypting key of the fleet. */
  activated: { keyId: string; epoch: number; acknowledgedBy: string[]; term: number };
  /** The key no longer encrypts; it still decrypts until removed (`session.tickets.keep`). */
  retired: { keyId: string; epoch: number; term: number };
  /** The key left the block: tickets under it now get a full handshake (`unknown_key`). */
  removed: { keyId: string; epoch: number; reason: 'keep' | 'unreadable'; term: number };
}

export type TicketKeyFact = keyof TicketKeyEventData;
export type TicketKeyEvent = { [F in TicketKeyFact]: CloudEvent<`tlsedge.ticketkey.${F}`, TicketKeyEventData[F]> }[TicketKeyFact];

export function ticketKeyEventType<F extends TicketKeyFact>(fact: F): `tlsedge.ticketkey.${F}` {
  return `${TICKET_KEY_EVENT_PREFIX}${fact}` as `tlsedge.ticketkey.${F}`;
}

export const ticketKeyEventCatalogue: Record<TicketKeyFact, string> = {
  leader_elected: 'A key-rotation process took the fleet lease and continues the ticket-key block (term fences older leaders).',
  staged: 'A new ticket key is distributed to every proxy (sealed under the fleet key); proxies decrypt with it but do not encrypt yet.',
  acknowledged: 'A proxy confirmed it holds the staged key.',
  stage_timed_out: 'Not every live proxy confirmed the staged key within `stage_timeout`; names the ones that did not.',
  activated: 'The staged key became the key every proxy encrypts new tickets with.',
  retired: 'A key stopped encrypting; it still decrypts until it is removed.',
  removed: 'A key left the block (beyond `keep`): tickets under it get a full handshake with reason `unknown_key`.',
};
