// The connection statechart (ARCHITECTURE.md "Connection statechart"): one definition shared by
// every connection, pure (no I/O, no timers), driven by the connection actor with the same facts it
// records as events — so a recorded connection replays through this machine into the same states.
//
//   accept ─policy_selected─▶ sniSelected ─┬─ tunnel ─▶ tunneling ─▶ closed
//                                          └─▶ handshaking ⇄ handshakeOffloaded
//   handshaking ─handshake_completed─▶ established ⇄ originBound (per request)
//   any ─handshake_failed|closed─▶ closed
import { assign, setup } from 'xstate';
import type { ConnectionEventData } from '../../actors/connection/events.js';

/** XState events: `{ type: fact, ...data }` for every fact except `accepted` (the machine's start). */
export type ConnectionMachineEvent = {
  [F in Exclude<keyof ConnectionEventData, 'accepted'>]: { type: F } & ConnectionEventData[F];
}[Exclude<keyof ConnectionEventData, 'accepted'>];

export interface ConnectionContext {
  id: string;
  /** The server name from the ClientHello (null: none sent). */
  sni: string | null;
  /** Set by policy_selected: whether the connection passes through untouched. */
  tunnel: boolean;
  /** Requests bound to an origin and not yet completed (HTTP/2 may have several). */
  inFlight: number;
  requests: number;
  /** Requests answered by tlsedge itself or failed at the origin. */
  unsuccessful: number;
  /** Why the connection failed, when it did. */
  failure: { stage: string; reason: string } | null;
}

export type ConnectionStateName = 'accept' | 'sniSelected' | 'handshaking' | 'handshakeOffloaded' | 'tunneling' | 'established' | 'originBound' | 'closed';

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionMachineEvent,
    input: {} as { id: string },
  },
  guards: {
    isTunnel: ({ context }) => context.tunnel,
    lastInFlight: ({ context }) => context.inFlight <= 1,
    // an origin failure of a request that never got a connection leaves the others in flight (h2)
    failedUnbound: ({ event }) => event.type === 'origin_failed' && event.bound === false,
  },
  actions: {
    recordHello: assign({ sni: ({ event }) => (event.type === 'client_hello_received' ? event.sni : null) }),
    countRefused: assign({ requests: ({ context }) => context.requests + 1, unsuccessful: ({ context }) => context.unsuccessful + 1 }),
    countFailed: assign({ unsuccessful: ({ context }) => context.unsuccessful + 1 }),
    recordPolicy: assign({ tunnel: ({ event }) => event.type === 'policy_selected' && event.tunnel !== null }),
    bindRequest: assign({ inFlight: ({ context }) => context.inFlight + 1, requests: ({ context }) => context.requests + 1 }),
    finishRequest: assign({ inFlight: ({ context }) => Math.max(0, context.inFlight - 1) }),
    finishFailedRequest: assign({ inFlight: ({ context }) => Math.max(0, context.inFlight - 1), unsuccessful: ({ context }) => context.unsuccessful + 1 }),
    recordFailure: assign({
      failure: ({ event }) => (event.type === 'handshake_failed' ? { stage: event.stage, reason: event.reason } : null),
    }),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ id: input.id, sni: null, tunnel: false, inFlight: 0, requests: 0, unsuccessful: 0, failure: null }),
  initial: 'accept',
  on: {
    handshake_failed: { target: '.closed', actions: 'recordFailure' },
    closed: { target: '.closed' },
  },
  states: {
    accept: {
      on: {
        client_hello_received: { actions: 'recordHello' },
        policy_selected: { target: 'sniSelected', actions: 'recordPolicy' },
      },
    },
    sniSelected: {
      always: [{ guard: 'isTunnel', target: 'tunneling' }, { target: 'handshaking' }],
    },
    tunneling: {
      // The backend connected; bytes flow until either side closes.
      on: { tunnel_opened: { target: 'tunneling' } },
    },
    handshaking: {
      on: {
        handshake_offloaded: { target: 'handshakeOffloaded' },
        handshake_completed: { target: 'established' },
      },
    },
    handshakeOffloaded: {
      on: {
        signature_completed: { target: 'handshaking' },
        handshake_completed: { target: 'established' },
      },
    },
    established: {
      on: {
        origin_bound: { target: 'originBound', actions: 'bindRequest' },
        request_refused: { actions: 'countRefused' },
        // A connect failure happens before any binding: the connection stays established.
        origin_failed: { actions: 'countFailed' },
      },
    },
    originBound: {
      on: {
        origin_bound: { actions: 'bindRequest' },
        request_refused: { actions: 'countRefused' },
        request_completed: [
          { guard: 'lastInFlight', target: 'established', actions: 'finishRequest' },
          { actions: 'finishRequest' },
        ],
        origin_failed: [
          { guard: 'failedUnbound', actions: 'countFailed' },
          { guard: 'lastInFlight', target: 'established', actions: 'finishFailedRequest' },
          { actions: 'finishFailedRequest' },
        ],
      },
    },
    closed: { type: 'final' },
  },
});
