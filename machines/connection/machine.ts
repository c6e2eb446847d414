// The connection statechart (ARCHITECTURE.md "Connection statechart"): one definition shared by
// every connection, pure (no I/O, no timers), driven by the connection actor with the same facts it
// records as events — so a recorded connection replays through this machine into the same states.
//
//   accept ─policy_selected─▶ sniSelected ─┬─ tunnel ─▶ tunneling ─────────────────────────▶ closed
//                                          └─▶ handshaking ⇄ handshakeOffloaded
//   handshaking ─handshake_completed─▶ established ─origin_bound─▶ originBound ─closed─▶ closed
//   any ─handshake_failed|closed─▶ closed
//
// `originBound` is the connection's lifecycle stage "serving requests through origin connections",
// entered at its first binding. Each request's binding, completion or refusal is recorded as its
// own event (origin_bound, request_completed, …) and accepted here as a self-transition: a
// per-request toggle would add nothing the events do not carry (docs/design/connection-statechart.md).
// Live connections walk this machine through chart.ts; replay runs it as an actor.
import { assign, setup } from 'xstate';
import type { ConnectionEventData } from '../../actors/connection/events.js';

/** XState events: `{ type: fact, ...data }` for every fact except `accepted` (the machine's start). */
export type ConnectionMachineEvent = {
  [F in ConnectionMachineFact]: { type: F } & ConnectionEventData[F];
}[ConnectionMachineFact];

export type ConnectionMachineFact = Exclude<keyof ConnectionEventData, 'accepted'>;

export interface ConnectionContext {
  id: string;
  /** Set by policy_selected: whether the connection passes through untouched. */
  tunnel: boolean;
  /** Why the connection failed, when it did. */
  failure: { stage: string; reason: string } | null;
}

export type ConnectionStateName = 'accept' | 'sniSelected' | 'handshaking' | 'handshakeOffloaded' | 'tunneling' | 'established' | 'originBound' | 'closed';

/**
 * What the machine's guards and actions read, as strings: equal keys, equal decisions. chart.ts
 * memoises XState's transitions on them, so keep this in step with `guards` and `actions` below
 * (test/unit/connection/chart.test.ts walks random fact sequences through both).
 */
export const decisionKey = {
  snapshot: (state: ConnectionStateName, context: ConnectionContext): string => (context.tunnel ? `${state}+tunnel` : state),
  event: <F extends ConnectionMachineFact>(fact: F, data: ConnectionEventData[F]): string =>
    fact === 'policy_selected' && (data as ConnectionEventData['policy_selected']).tunnel !== null ? 'policy_selected+tunnel' : fact,
};

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionMachineEvent,
    input: {} as { id: string },
  },
  guards: {
    isTunnel: ({ context }) => context.tunnel,
  },
  actions: {
    recordPolicy: assign({ tunnel: ({ event }) => event.type === 'policy_selected' && event.tunnel !== null }),
    recordFailure: assign({
      failure: ({ event }) => (event.type === 'handshake_failed' ? { stage: event.stage, reason: event.reason } : null),
    }),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ id: input.id, tunnel: false, failure: null }),
  initial: 'accept',
  on: {
    handshake_failed: { target: '.closed', actions: 'recordFailure' },
    closed: { target: '.closed' },
  },
  states: {
    accept: {
      on: {
        client_hello_received: { target: 'accept' },
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
        origin_bound: { target: 'originBound' },
        // Answered by tlsedge (404, 421, 400…) or failed before any origin connection.
        request_refused: { target: 'established' },
        origin_failed: { target: 'established' },
      },
    },
    originBound: {
      on: {
        origin_bound: { target: 'originBound' },
        request_completed: { target: 'originBound' },
        request_refused: { target: 'originBound' },
        origin_failed: { target: 'originBound' },
      },
    },
    closed: { type: 'final' },
  },
});
