// The ticket-key block as an immer reducer over its events: `evolve(state, event)` is pure, so the
// block after any prefix of the log is the fold of that prefix. Events from a leader whose term was
// superseded are ignored, so a stale leader's late writes cannot fork the block.
import { produce } from 'immer';
import type { AnyEvent } from '../../bus/envelope.js';
import { TICKET_KEY_EVENT_PREFIX, type KeyOrigin, type TicketKeyEvent } from './events.js';

export type KeyStatus = 'staged' | 'active' | 'retired';

export interface TicketKeyEntry {
  id: string;
  epoch: number;
  status: KeyStatus;
  origin: KeyOrigin;
  /** The 48-byte key sealed under the fleet key (AAD = key id). */
  sealed: string;
  stagedAt: string;
  deadline: string;
  activatedAt: string | null;
  retiredAt: string | null;
  /** Live proxies when it was staged. */
  expected: string[];
  /** Proxies that acknowledged holding it. */
  acks: string[];
  /** Set when activation happened after the wait: who had not answered. */
  missing: string[] | null;
}

export interface KeyBlockState {
  term: number;
  leader: string | null;
  /** Events applied so far: a version number proxies compare. */
  revision: number;
  /** `sequence` of the last event applied (a new leader continues after it). */
  lastSequence: number;
  /** Epoch the next staged key gets. */
  nextEpoch: number;
  /** Live keys, newest epoch first. */
  keys: TicketKeyEntry[];
  /** Recently removed keys (ids and epochs only), newest first, for status and replay. */
  removed: Array<{ id: string; epoch: number; removedAt: string; reason: string }>;
  /** Events skipped because their term was superseded. */
  ignored: number;
}

export const initialKeyBlockState: KeyBlockState = { term: 0, leader: null, revision: 0, lastSequence: 0, nextEpoch: 1, keys: [], removed: [], ignored: 0 };

const REMOVED_KEPT = 16;

export function isTicketKeyEvent(event: AnyEvent): event is TicketKeyEvent & AnyEvent {
  return event.type.startsWith(TICKET_KEY_EVENT_PREFIX);
}

export function evolve(state: KeyBlockState, event: TicketKeyEvent): KeyBlockState {
  return produce(state, (draft) => {
    const data = event.data as { term: number };
    const takesOver = event.type === 'tlsedge.ticketkey.leader_elected' && data.term > draft.term;
    if (!takesOver && data.term < draft.term) {
      draft.ignored++;
      return;
    }
    draft.revision++;
    draft.lastSequence = Math.max(draft.lastSequence, event.sequence);
    const key = (id: string) => draft.keys.find((k) => k.id === id);
    switch (event.type) {
      case 'tlsedge.ticketkey.leader_elected':
        draft.term = event.data.term;
        draft.leader = event.data.node;
        break;
      case 'tlsedge.ticketkey.staged': {
        const d = event.data;
        if (key(d.keyId)) break;
        draft.keys.push({ id: d.keyId, epoch: d.epoch, status: 'staged', origin: d.origin, sealed: d.sealed, stagedAt: event.time, deadline: d.deadline, activatedAt: null, retiredAt: null, expected: [...d.expected], acks: [], missing: null });
        draft.keys.sort((a, b) => b.epoch - a.epoch);
        draft.nextEpoch = Math.max(draft.nextEpoch, d.epoch + 1);
        break;
      }
      case 'tlsedge.ticketkey.acknowledged': {
        const k = key(event.data.keyId);
        if (k && !k.acks.includes(event.data.node)) k.acks.push(event.data.node);
        break;
      }
      case 'tlsedge.ticketkey.stage_timed_out': {
        const k = key(event.data.keyId);
        if (k) k.missing = [...event.data.missing];
        break;
      }
      case 'tlsedge.ticketkey.activated': {
        const k = key(event.data.keyId);
        if (!k) break;
        // One encrypting key at a time: whoever was active is retired by this fact too.
        for (const other of draft.keys) {
          if (other.status === 'active' && other.id !== k.id) {
            other.status = 'retired';
            other.retiredAt ??= event.time;
          }
        }
        k.status = 'active';
        k.activatedAt = event.time;
        break;
      }
      case 'tlsedge.ticketkey.retired': {
        const k = key(event.data.keyId);
        if (k) {
          k.status = 'retired';
          k.retiredAt ??= event.time;
        }
        break;
      }
      case 'tlsedge.ticketkey.removed': {
        const i = draft.keys.findIndex((k) => k.id === event.data.keyId);
        if (i < 0) break;
        const [k] = draft.keys.splice(i, 1);
        draft.removed.unshift({ id: k!.id, epoch: k!.epoch, removedAt: event.time, reason: event.data.reason });
        if (draft.removed.length > REMOVED_KEPT) draft.removed.length = REMOVED_KEPT;
        break;
      }
      default: {
        const never: never = event;
        void never;
      }
    }
  });
}

/** The block after these events (others are skipped). */
export function foldKeyBlock(events: Iterable<AnyEvent>, from: KeyBlockState = initialKeyBlockState): KeyBlockState {
  let state = from;
  for (const e of events) if (isTicketKeyEvent(e)) state = evolve(state, e);
  return state;
}

export function activeKey(state: KeyBlockState): TicketKeyEntry | undefined {
  return state.keys.find((k) => k.status === 'active');
}

export function stagedKey(state: KeyBlockState): TicketKeyEntry | undefined {
  // the newest staged key that is heading for activation (imported extras go straight to retired)
  return state.keys.find((k) => k.status === 'staged');
}
