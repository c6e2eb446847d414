// The connection actor's events: the contract read by `events`, `replay`, the metrics and the
// docs (docs/events.md is generated from `connectionEventCatalogue`). One string is the event
// type suffix, the XState event type and the NATS subject suffix.
import type { HelloFacts } from '../../adapters/tls/hello/facts.js';
import type { MissReason } from '../../adapters/origin/identity.js';

export type { HelloFacts };

export type ClientCertFacts = {
  subject: string;
  san: string[];
  /** SHA-256 of the DER certificate, hex. */
  fingerprint: string;
  issuer: string;
  authorized: boolean;
  /** Why verification failed, when it did. */
  error?: string;
};

export interface ConnectionEventData {
  accepted: {
    /** The client's address and port. */
    remoteAddress: string;
    remotePort: number;
    /** The listener's address and port. */
    localAddress: string;
    localPort: number;
    /** The node (process) that accepted it: in a fleet, which proxy served the connection. */
    node: string;
  };
  client_hello_received: HelloFacts;
  policy_selected: {
    /** Index in `sni`, or -1 for the built-in default policy. */
    rule: number;
    match: string;
    /** How the rule matched: `exact`, `wildcard`, `catch_all`, `default`. */
    matchedBy: 'exact' | 'wildcard' | 'catch_all' | 'default';
    certificate: string | null;
    /** SHA-256 of the served leaf certificate (DER), hex: shows a certificate change in replay. */
    certificateFingerprint: string | null;
    /** How the certificate was picked: `rule`, `exact`, `wildcard`, `default`. */
    certificateBy: 'rule' | 'exact' | 'wildcard' | 'default' | 'none';
    engine: 'native' | 'offload';
    alpn: string[];
    tls: { min: string; max: string };
    clientCert: 'none' | 'request' | 'require';
    tunnel: string | null;
    /** Short hash of everything that makes this policy's TLS what it is. */
    policyId: string;
  };
  handshake_offloaded: { signer: string; key: string; scheme: string };
  signature_completed: { signer: string; key: string; scheme: string; latencyMs: number };
  handshake_completed: {
    version: string;
    cipher: string;
    alpn: string | null;
    /**
     * How it resumed: `ticket`, `session_id` (TLS 1.2 session cache), or `session` (a TLS 1.3 PSK whose
     * identity is a session-store key: the offload engine's stateful resumption); null: full handshake.
     */
    resumed: 'ticket' | 'session_id' | 'session' | null;
    durationMs: number;
    /** Which TLS engine completed it (absent in older logs: native). */
    engine?: 'native' | 'offload';
    /** Offload engine: the key-exchange group, the CertificateVerify scheme (null when resumed), and whether a HelloRetryRequest was needed. */
    group?: string | null;
    signatureScheme?: string | null;
    helloRetry?: boolean;
    /** The native engine served this name's software certificate because the client cannot speak TLS 1.3 (offload fallback). */
    fallback?: 'tls12_software_certificate';
    clientCert?: ClientCertFacts;
    /**
     * A ticket or session ID was offered but did not resume: `unknown_key` (its ticket key is not in
     * the block), `expired`, `policy_mismatch` (issued under another policy), `not_found`, `store_timeout`.
     */
    resumeMiss?: { mechanism: 'ticket' | 'session_id' | 'session'; reason: string };
    /** The node that issued the resumed session (from the ticket's key name or the sealed session). */
    issuedBy?: string;
    resumedElsewhere?: boolean;
  };
  handshake_failed: {
    /**
     * Stable reason code, e.g. `hello_timeout`, `not_tls`, `decode_error`; policy refusals
     * `no_application_protocol`, `protocol_version`, `no_shared_cipher`, `no_shared_group`,
     * `client_cert_missing`, `client_cert_untrusted` (the last two after a completed TLS handshake:
     * the client was told in HTTP, 403).
     */
    reason: string;
    /** Where it failed: reading the hello, selecting policy, or in the TLS handshake. */
    stage: 'hello' | 'policy' | 'handshake';
    /** TLS alert sent to the client, by name; null when the socket was just closed. */
    alert: string | null;
    /** For a person: what the client offered against what its `sni` rule allows, and OpenSSL's own words. */
    message: string;
  };
  tunnel_opened: { backend: string };
  origin_bound: {
    request: number;
    method: string;
    host: string;
    /** Path without the query string. */
    path: string;
    /** Index in `origins`. */
    rule: number;
    origin: string;
    poolKey: string;
    reused: boolean;
    originConnection: string;
    sniSent: string | null;
    /** Why an idle connection to the same origin could not be reused. */
    missReason?: MissReason;
    /** A new TLS connection to the origin resumed its session. */
    resumed?: boolean;
    /** `verify: permissive`: the certificate problem strict mode would have refused. */
    verifyError?: string;
    /** Protocol spoken to the origin (absent: `http/1.1`, as before HTTP/2 origins existed). */
    originProtocol?: 'http/1.1' | 'h2';
    /** Address and port connected to: what `ip`/`lax` pool keys are made of (replay re-derives keys from it). */
    originAddress?: string;
  };
  request_completed: { request: number; status: number; bytesIn: number; bytesOut: number; durationMs: number };
  request_refused: { request: number; status: number; reason: string; host: string; path: string };
  origin_failed: {
    request: number;
    status: 502 | 503 | 504;
    reason: string;
    origin: string;
    message: string;
    /**
     * The request had been bound to an origin connection (an `origin_bound` precedes this event);
     * false when connecting failed first. Absent in older logs: treated as bound.
     */
    bound?: boolean;
  };
  closed: {
    reason: string;
    durationMs: number;
    requests: number;
    bytesIn: number;
    bytesOut: number;
    /** The statechart state the connection was in when it closed. */
    state: string;
  };
}

export type ConnectionFact = keyof ConnectionEventData;
export type ConnectionEventType = `tlsedge.connection.${ConnectionFact}`;

export const CONNECTION_EVENT_PREFIX = 'tlsedge.connection.';

export function connectionEventType<F extends ConnectionFact>(fact: F): `tlsedge.connection.${F}` {
  return `${CONNECTION_EVENT_PREFIX}${fact}` as `tlsedge.connection.${F}`;
}

/** Human descriptions for the generated event catalogue. */
export const connectionEventCatalogue: Record<ConnectionFact, string> = {
  accepted: 'A TCP connection was accepted by a listener.',
  client_hello_received: 'The ClientHello was read and parsed before any handshake: SNI, ALPN, versions, groups, JA4.',
  policy_selected: 'The `sni` rule and certificate for this connection were chosen, with how each matched.',
  handshake_offloaded: 'The offload engine is waiting for a signer to produce the CertificateVerify signature.',
  signature_completed: 'The signer answered; the handshake resumes.',
  handshake_completed: 'The TLS handshake finished: version, cipher, ALPN, whether and how it resumed.',
  handshake_failed: 'The connection ended before a handshake completed: garbage, timeout, policy refusal or TLS alert.',
  tunnel_opened: 'A `tunnel` rule connected the client to its backend; bytes now pass through untouched.',
  origin_bound: 'A request was bound to an origin connection: pool key, reused or new, SNI sent, and why an idle connection was not reused.',
  request_completed: 'The response to a request was sent in full.',
  request_refused: 'A request was answered by tlsedge itself: no route (404), misdirected (421), malformed (400), too large (431).',
  origin_failed: 'The origin could not answer: refused, reset, TLS failure (502), pool exhausted (503) or timed out (504).',
  closed: 'The connection closed; totals for its lifetime.',
};
