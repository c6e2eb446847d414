// What the connection actor needs from the rest of the proxy process. Implemented by the proxy
// actor (actors/proxy) on top of adapters; tests can provide their own.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { LimitsConfig } from '../../adapters/config/model.js';
import type { NativeEngine } from '../../adapters/tls/native/engine.js';
import type { NativePolicy } from '../../adapters/tls/native/server-options.js';
import type { HelloFacts } from '../../adapters/tls/hello/facts.js';
import type { EventRecorder } from '../../bus/recorder.js';
import type { ConnectionEventData } from './events.js';
import type { PolicyDecision, PolicySelector } from './policy.js';
import type { ClientCertRefusal } from './client-cert.js';
import type { OffloadPort } from './offload.js';
import type { OffloadTlsSocket } from '../../adapters/tls/offload/socket.js';

/** Facts about an established connection that the application layer needs. */
export interface EstablishedConnection {
  id: string;
  remoteAddress: string;
  remotePort: number;
  sni: string | null;
  alpn: string | null;
  tlsVersion: string;
  policy: PolicyDecision;
  clientCert?: ConnectionEventData['handshake_completed']['clientCert'];
}

/** Per-request facts flow back to the connection actor, which records them. */
export interface RequestReporter {
  originBound(data: ConnectionEventData['origin_bound']): void;
  requestCompleted(data: ConnectionEventData['request_completed']): void;
  requestRefused(data: ConnectionEventData['request_refused']): void;
  originFailed(data: ConnectionEventData['origin_failed']): void;
}

/** HTTP/1.1 or h2 on an established TLS socket. */
export interface ApplicationLayer {
  /** `socket` is node:tls's (native engine) or the offload engine's Duplex with the same surface. */
  serve(socket: TLSSocket | OffloadTlsSocket, connection: EstablishedConnection, reporter: RequestReporter): void;
  /**
   * Tells a client its `sni` rule's client-certificate policy refused it, in its own protocol (the
   * handshake completed; `handshake_failed` is already recorded), then closes. Absent: just closed.
   */
  refuse?(socket: TLSSocket, alpn: string | null, refusal: ClientCertRefusal): void;
}

/** TCP passthrough for `tunnel` rules. */
export interface TunnelDialer {
  open(client: Socket, peeked: Uint8Array, backend: { host: string; port: number }, callbacks: { opened(): void; failed(reason: string, message: string): void }): void;
}

export interface ConnectionMetrics {
  opened(): void;
  closed(): void;
  handshake(result: 'completed' | 'failed', version: string, sni: string, seconds: number, resumed: string | null): void;
}

/** A route chosen before the handshake; hand it back to `settle` or `forget`. */
export interface ResumptionRoute {
  /** The native server variant to hand the socket to ('' = the policy's base server). */
  readonly variant: string;
  /** The handshake may use the TLS 1.2 session-ID cache (false for TLS 1.3: a server without session listeners). */
  readonly sessionIds: boolean;
}

export interface ResumptionFacts {
  /** Offered a ticket or session ID that did not resume, and why. */
  miss?: { mechanism: 'ticket' | 'session_id' | 'session'; reason: string };
  /** The node that issued the resumed session, when known. */
  issuedBy?: string;
  /** Resumed a session another node issued. */
  resumedElsewhere?: boolean;
}

/**
 * Fleet-wide resumption (actors/resumption): routes a presented ticket to the server variant that
 * holds its key (a Map lookup, no crypto per connection) and explains the outcome afterwards.
 */
export interface ResumptionPort {
  route(policy: NativePolicy, hello: HelloFacts, sessionId: Uint8Array): ResumptionRoute;
  settle(route: ResumptionRoute, outcome: { reused: boolean; version: string; mechanism: 'ticket' | 'session_id' | null }): ResumptionFacts;
  forget(route: ResumptionRoute): void;
}

export interface ConnectionServices {
  recorder: EventRecorder;
  policies: PolicySelector;
  native: NativeEngine;
  app: ApplicationLayer;
  tunnels: TunnelDialer;
  limits: LimitsConfig;
  metrics: ConnectionMetrics;
  nodeId: string;
  /** Absent: every policy uses its base server and Node's per-process resumption. */
  resumption?: ResumptionPort;
  /** The offload engine (absent when no rule or certificate needs it). */
  offload?: OffloadPort;
}
