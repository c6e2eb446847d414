// Resumption for the offload engine (docs/offload.md): per policy scope, a TicketPort over the
// fleet block — the active key seals, every live key opens, scoped like the native engine's keys so
// a ticket never crosses policies — or, with tickets off and the session cache on, TLS 1.3
// stateful resumption through the session store (PSK identity = store key, single-use `take`).
import type { HelloFacts } from '../../adapters/tls/hello/facts.js';
import type { NativePolicy } from '../../adapters/tls/native/server-options.js';
import type { SessionStorePort } from '../../adapters/tls/offload/ports.js';
import type { TicketPort } from '../../adapters/tls/engine/server/ports.js';
import { ScopedTicketSealer } from '../../adapters/tls/crypto/scoped-tickets.js';
import type { EventRecorder } from '../../bus/recorder.js';
import type { ResumptionFacts } from '../connection/ports.js';
import { sessionEventType, type SessionEventData } from '../session-store/events.js';
import type { KeySet } from './key-sets.js';
import type { ResumptionMetrics } from './metrics.js';
import type { LookupOutcome, SessionClient } from './session-client.js';
import type { TicketRouter } from './ticket-router.js';

/** How a policy's offload connections resume. */
export type OffloadTicketMode = 'off' | 'stateless' | 'stateful';

/** What the resumption actor shares with this component (its own state, read at call time). */
export interface OffloadResumptionDeps {
  binding(policy: NativePolicy): { scope: string; sni: string; keys: KeySet | null; cache: boolean };
  readonly router: TicketRouter;
  readonly sessions: SessionClient;
  readonly metrics: ResumptionMetrics;
  /** Records `tlsedge.session.*` events. */
  readonly recorder: EventRecorder;
  /** Node tag (8 bytes) of this process, and every known tag → node id. */
  readonly selfTag: Buffer;
  readonly tagNodes: ReadonlyMap<string, string>;
  readonly nodeId: string;
  readonly ticketLifetimeMs: number;
  readonly sessionTtlMs: number;
}

/** The engine-facing resumption of one policy. */
export interface OffloadPolicyResumption {
  readonly mode: OffloadTicketMode;
  readonly lifetimeSeconds: number;
  /** Stateless tickets (the same object for every connection of the policy). */
  readonly tickets: TicketPort | undefined;
  /** Per connection: the session-store port (stateful mode) and the explanation of the outcome. */
  connection(): OffloadConnectionResumption;
}

export interface OffloadConnectionResumption {
  readonly sessions: SessionStorePort | undefined;
  /** Facts for `handshake_completed`: who issued a resumed session, or why an offered one missed. */
  settle(hello: HelloFacts, completed: { resumed: 'ticket' | 'session' | null; ticketKeyName: string | null }): ResumptionFacts;
}

export interface OffloadResumption {
  forPolicy(policy: NativePolicy): OffloadPolicyResumption;
}

export function offloadResumption(deps: OffloadResumptionDeps): OffloadResumption {
  const cache = new Map<string, OffloadPolicyResumption>();
  return {
    forPolicy(policy) {
      let r = cache.get(policy.id);
      if (!r) {
        r = new PolicyResumption(deps, policy);
        if (cache.size > 10_000) cache.clear(); // bounded like the resumption actor's bindings
        cache.set(policy.id, r);
      }
      return r;
    },
  };
}

class PolicyResumption implements OffloadPolicyResumption {
  readonly mode: OffloadTicketMode;
  readonly lifetimeSeconds: number;
  readonly tickets: TicketPort | undefined;
  private readonly scope: string;
  private readonly sni: string;
  private readonly keys: KeySet | null;

  constructor(
    private readonly deps: OffloadResumptionDeps,
    policy: NativePolicy,
  ) {
    const b = deps.binding(policy);
    this.scope = b.scope;
    this.sni = b.sni;
    this.keys = b.keys;
    // Tickets when the policy has a ticket key set (fleet block or key file); otherwise the
    // session store, when the cache is on: the TLS 1.3 counterpart of session-ID resumption.
    this.mode = b.keys ? 'stateless' : b.cache ? 'stateful' : 'off';
    this.lifetimeSeconds = Math.max(1, Math.floor((this.mode === 'stateful' ? deps.sessionTtlMs : deps.ticketLifetimeMs) / 1000));
    this.tickets = b.keys ? new FollowingTicketPort(deps, b.keys, b.scope) : undefined;
  }

  connection(): OffloadConnectionResumption {
    return new ConnectionResumption(this.deps, this.mode, this.scope, this.sni, this.keys);
  }
}

/**
 * The policy's TicketPort, following rotations: each call checks the key set's version (a number
 * compare) and rebuilds the sealer from the router's per-scope table when the block changed.
 */
class FollowingTicketPort implements TicketPort {
  private version = -1;
  private sealer: ScopedTicketSealer | undefined;

  constructor(
    private readonly deps: OffloadResumptionDeps,
    private readonly keys: KeySet,
    private readonly scope: string,
  ) {}

  seal(plaintext: Uint8Array): Uint8Array | undefined {
    return this.current().seal(plaintext);
  }

  open(ticket: Uint8Array): Uint8Array | undefined {
    return this.current().open(ticket);
  }

  keyNameOf(ticket: Uint8Array): string | undefined {
    return this.current().keyNameOf(ticket);
  }

  private current(): ScopedTicketSealer {
    if (this.sealer && this.version === this.keys.version) return this.sealer;
    const table = this.deps.router.table(this.keys, this.scope);
    // Staged keys open (every proxy holds them) but never seal: only `active` encrypts.
    const held = [...table.byName.values()].map((k) => ({ scopeName: k.parts.scopeName, secrets: k.parts.secrets, active: k.status === 'active' }));
    this.sealer = new ScopedTicketSealer(held, this.deps.selfTag);
    this.version = this.keys.version;
    return this.sealer;
  }
}

class ConnectionResumption implements OffloadConnectionResumption {
  readonly sessions: SessionStorePort | undefined;
  /** The store's answer to this connection's lookup, if one was made. */
  private taken: LookupOutcome | undefined;

  constructor(
    private readonly deps: OffloadResumptionDeps,
    mode: OffloadTicketMode,
    private readonly scope: string,
    private readonly sni: string,
    private readonly keys: KeySet | null,
  ) {
    this.sessions =
      mode === 'stateful'
        ? {
            get: async (identity) => {
              const outcome = await deps.sessions.take(identity, scope);
              this.taken = outcome;
              return outcome.found ? new Uint8Array(outcome.session.data) : undefined;
            },
            // The session holds the resumption PSK: SessionClient seals it under the fleet key first.
            put: (identity, session) => deps.sessions.store(identity, session, scope),
          }
        : undefined;
  }

  settle(hello: HelloFacts, completed: { resumed: 'ticket' | 'session' | null; ticketKeyName: string | null }): ResumptionFacts {
    const { deps } = this;
    const facts: ResumptionFacts = {};
    const selfTagHex = deps.selfTag.toString('hex');
    if (completed.resumed === 'ticket') {
      const tag = (completed.ticketKeyName ?? '').slice(16, 32) || selfTagHex;
      facts.issuedBy = deps.tagNodes.get(tag) ?? `tag:${tag}`;
      facts.resumedElsewhere = tag !== selfTagHex;
      deps.metrics.attempt('ticket', this.sni, true, facts.resumedElsewhere);
      return facts;
    }
    const taken = this.taken;
    if (completed.resumed === 'session') {
      const found = taken?.found ? taken : undefined;
      facts.issuedBy = found?.session.node ?? deps.nodeId;
      facts.resumedElsewhere = facts.issuedBy !== deps.nodeId;
      deps.metrics.attempt('session', this.sni, true, facts.resumedElsewhere);
      if (found) {
        deps.recorder.stream(found.key).emit(sessionEventType('resumed'), { scope: this.scope, issuer: found.session.node, node: deps.nodeId, elsewhere: facts.resumedElsewhere, from: found.from } satisfies SessionEventData['resumed']);
      }
      return facts;
    }
    if (taken) {
      // Looked up and not resumed: the store's reason, or the engine refused what it found (other name).
      const reason = taken.found ? 'rejected' : taken.reason;
      facts.miss = { mechanism: 'session', reason };
      deps.metrics.attempt('session', this.sni, false, false, reason);
      if (!taken.found) {
        const data: SessionEventData['missed'] = { reason: taken.reason, scope: this.scope, node: deps.nodeId };
        if (taken.issuedScope) data.issuedScope = taken.issuedScope;
        deps.recorder.stream(taken.key).emit(sessionEventType('missed'), data);
      }
      return facts;
    }
    if (hello.pskIdentities > 0) {
      const route = this.keys ? deps.router.route(this.keys, this.scope, hello.pskKeyNames) : { kind: 'unknown_key' as const };
      // A key we hold that still did not resume: the ticket outlived its lifetime (or was not ours to open).
      const reason = route.kind === 'routed' ? 'expired' : route.kind === 'none' ? 'unknown_key' : route.kind;
      facts.miss = { mechanism: 'ticket', reason };
      deps.metrics.attempt('ticket', this.sni, false, false, reason);
    }
    return facts;
  }
}
