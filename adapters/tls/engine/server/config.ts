// Engine configuration: the crypto provider, the policy (or a selector run on the ClientHello),
// the ticket port and the limits that bound what a peer can make the engine buffer or compute.
import type { ClientHello } from '../../wire/client-hello.js';
import type { TlsErrorCode } from '../../wire/errors.js';
import type { CryptoProvider } from '../provider.js';
import type { ServerPolicy } from './policy.js';
import type { Clock, TicketPort } from './ports.js';

export interface EngineLimits {
  /** Largest handshake message accepted from the client (its Certificate chain is the big one). */
  readonly maxHandshakeMessage: number;
  /** Unprocessed bytes held while the engine waits (signature, session lookup). */
  readonly maxBacklog: number;
  /** PSK identities examined per ClientHello (the rest are ignored). */
  readonly maxPskIdentities: number;
  /** Deadline given to the host for a session-store lookup. */
  readonly sessionLookupMs: number;
  /** change_cipher_spec records tolerated during one handshake. */
  readonly maxCompatibilityCcs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxHandshakeMessage: 64 * 1024,
  maxBacklog: 4 * ((1 << 14) + 256 + 5),
  maxPskIdentities: 4,
  sessionLookupMs: 50,
  maxCompatibilityCcs: 4,
};

/** Picks the policy from the ClientHello (e.g. by SNI), or refuses the connection with an alert. */
export type PolicySelector = (hello: ClientHello) => ServerPolicy | { readonly refuse: TlsErrorCode; readonly reason: string };

export interface ServerConfig {
  readonly provider: CryptoProvider;
  readonly policy: ServerPolicy | PolicySelector;
  /** Required for stateless tickets (`tickets.mode: 'stateless'`) and to resume them. */
  readonly tickets?: TicketPort;
  /** Defaults to Date.now. */
  readonly clock?: { now(): number };
  readonly limits?: Partial<EngineLimits>;
}

export interface ResolvedConfig {
  readonly provider: CryptoProvider;
  readonly policy: ServerPolicy | PolicySelector;
  readonly tickets: TicketPort | undefined;
  readonly clock: Clock;
  readonly limits: EngineLimits;
}

export function resolveConfig(c: ServerConfig): ResolvedConfig {
  return {
    provider: c.provider,
    policy: c.policy,
    tickets: c.tickets,
    clock: c.clock ?? { now: () => Date.now() },
    limits: { ...DEFAULT_LIMITS, ...c.limits },
  };
}
