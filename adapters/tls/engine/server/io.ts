// What goes into the engine (inputs from the host) and what comes out (requests the host carries
// out and facts it records). Plain data: the connection actor can log every output as an event
// after stripping `data`/`session` bytes (which may be secret or large).
import type { Tls13Suite } from '../suites.js';

export type EngineInput =
  /** Bytes read from the peer's TCP stream. */
  | { readonly type: 'received'; readonly data: Uint8Array }
  /** The peer closed its side of TCP (EOF). */
  | { readonly type: 'eof' }
  /** Answer to `sign_transcript`: the signature in TLS encoding (ECDSA DER, PSS, Ed25519). */
  | { readonly type: 'signature_ready'; readonly signature: Uint8Array }
  | { readonly type: 'signature_failed'; readonly reason: string }
  /** Answers to `lookup_session`: the session bytes from `store_session`, or none. */
  | { readonly type: 'session_found'; readonly session: Uint8Array }
  | { readonly type: 'session_missing'; readonly reason: 'not_found' | 'timeout' | 'error' }
  /** Application data to protect and send. */
  | { readonly type: 'send'; readonly data: Uint8Array }
  /** Send a KeyUpdate (RFC 8446 §4.6.3), optionally asking the peer to update too. */
  | { readonly type: 'key_update'; readonly requestPeer: boolean }
  /** Send close_notify: we will write nothing more. */
  | { readonly type: 'close' };

export type ResumptionKind = 'ticket' | 'session';

export interface HandshakeCompleted {
  readonly type: 'handshake_completed';
  readonly version: 'TLSv1.3';
  readonly suite: Tls13Suite['name'];
  readonly group: string | null;
  readonly signatureScheme: string | null;
  readonly alpn: string | null;
  readonly sni: string | null;
  readonly resumed: ResumptionKind | null;
  readonly helloRetry: boolean;
  /** The client's chain (DER, leaf first), from this handshake or from the resumed session. */
  readonly clientCertificates: readonly Uint8Array[];
  readonly policyId: string;
  /** Ticket key name (hex) when resumed from a stateless ticket. */
  readonly ticketKeyName: string | null;
}

export type EngineOutput =
  /** Bytes to write to the peer, in order. */
  | { readonly type: 'write'; readonly data: Uint8Array }
  /**
   * Sign `content` (RFC 8446 §4.4.3, the full to-be-signed bytes) with key `keyId` under `scheme`
   * and answer with `signature_ready`/`signature_failed`. The engine accepts no records until then:
   * pause reading from the socket.
   */
  | { readonly type: 'sign_transcript'; readonly keyId: string; readonly scheme: number; readonly schemeName: string; readonly content: Uint8Array }
  /** Look up a session-store key; answer with `session_found`/`session_missing` before `deadlineMs`. */
  | { readonly type: 'lookup_session'; readonly identity: Uint8Array; readonly deadlineMs: number }
  /** Store a session under `identity` for `ttlMs` (a stateful ticket was sent). `session` holds secrets: seal it. */
  | { readonly type: 'store_session'; readonly identity: Uint8Array; readonly session: Uint8Array; readonly ttlMs: number; readonly sni: string | null }
  | { readonly type: 'application_data'; readonly data: Uint8Array }
  | HandshakeCompleted
  /** The peer sent close_notify (`closeNotify: true`) or EOF (false): no more data will arrive. */
  | { readonly type: 'peer_closed'; readonly closeNotify: boolean }
  | { readonly type: 'alert_sent'; readonly description: number; readonly name: string; readonly code: string; readonly reason: string }
  | { readonly type: 'alert_received'; readonly level: number; readonly description: number; readonly name: string }
  | { readonly type: 'ticket_issued'; readonly kind: ResumptionKind; readonly keyName: string | null; readonly lifetimeSeconds: number }
  | { readonly type: 'key_updated'; readonly direction: 'read' | 'write' }
  | { readonly type: 'early_data_skipped'; readonly bytes: number }
  /** An input the current state cannot take (host bug or a race with close); nothing else happened. */
  | { readonly type: 'input_refused'; readonly input: EngineInput['type']; readonly reason: string }
  /** The connection is finished: the host closes the socket once the writes above are flushed. */
  | { readonly type: 'closed'; readonly reason: 'close_notify' | 'alert_sent' | 'alert_received' | 'eof' };
