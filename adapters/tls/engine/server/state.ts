// The server's states (rustls style: each named for what it waits for, holding only what is valid
// there) and the connection record-layer data they share. `handle` consumes a state and returns
// the next one; a host must keep only the returned state.
import type { ClientHello } from '../../wire/client-hello.js';
import type { HandshakeSecret, MasterSecret } from '../key-schedule.js';
import type { RecordDeframer } from '../record/deframer.js';
import type { HandshakeJoiner } from '../record/joiner.js';
import type { RecordProtector, RecordUnprotector } from '../record/protection.js';
import type { Tls13Suite } from '../suites.js';
import type { Transcript } from '../transcript.js';
import type { ResolvedConfig } from './config.js';
import type { ResumptionKind } from './io.js';
import type { CertifiedKey, ServerPolicy } from './policy.js';
import type { ResumableSession } from './session.js';

/** Record-layer state shared by every handshake state of one connection. */
export interface Conn {
  readonly config: ResolvedConfig;
  readonly deframer: RecordDeframer;
  readonly joiner: HandshakeJoiner;
  /** Undefined while the peer still sends plaintext (before our ServerHello). */
  reader: RecordUnprotector | undefined;
  /** Undefined until our first protected flight is written (alerts go in plaintext until then). */
  writer: RecordProtector | undefined;
  /** Largest content per protected record: min(2^14, peer record_size_limit - 1). */
  maxSendContent: number;
  /** Largest TLSInnerPlaintext we accept: the record_size_limit we advertised, else 2^14 + 1. */
  maxReceiveInner: number;
  /** The middlebox-compatibility CCS goes out once, after our first handshake message (§D.4). */
  ccsSent: boolean;
  /** Set once a protected record from the peer authenticated: plaintext alerts are refused after. */
  peerEncrypted: boolean;
  /** RFC 8446 §5: compatibility CCS accepted between the first ClientHello and the client Finished. */
  ccsAllowed: boolean;
  ccsSeen: number;
  /** Rejected 0-RTT being skipped: by trial decryption, or as plaintext-typed records after HRR. */
  earlyData: { mode: 'none' | 'trial' | 'plaintext'; budget: number; skipped: number };
  closeSent: boolean;
  closeReceived: boolean;
}

/** What the handshake agreed on, carried from the ClientHello to the handshake_completed fact. */
export interface Negotiated {
  readonly policy: ServerPolicy;
  readonly suite: Tls13Suite;
  readonly group: number;
  readonly alpn: string | undefined;
  readonly sni: string | undefined;
  /** Full handshakes only. */
  readonly certificate: CertifiedKey | undefined;
  readonly scheme: number | undefined;
  readonly resumed: { readonly kind: ResumptionKind; readonly session: ResumableSession; readonly keyName: string | null } | undefined;
  readonly helloRetry: boolean;
  readonly earlyDataOffered: boolean;
  /** The client offered psk_dhe_ke, so tickets we send can be used (RFC 8446 §4.2.9). */
  readonly clientCanResume: boolean;
}

/** After a HelloRetryRequest: what the second ClientHello must agree with (RFC 8446 §4.1.2). */
export interface RetryContext {
  readonly policy: ServerPolicy;
  readonly suite: Tls13Suite;
  readonly group: number;
  readonly cookie: Uint8Array;
  /** message_hash(ClientHello1) || HelloRetryRequest. */
  readonly transcript: Transcript;
  readonly firstHello: ClientHello;
}

export interface ExpectClientHello {
  readonly kind: 'expect_client_hello';
  readonly conn: Conn;
  readonly retry: RetryContext | undefined;
}

/** A PSK identity is being looked up in the session store; no records are taken meanwhile. */
export interface AwaitingSession {
  readonly kind: 'awaiting_session';
  readonly conn: Conn;
  readonly hello: ClientHello;
  readonly policy: ServerPolicy;
  readonly suite: Tls13Suite;
  readonly retry: RetryContext | undefined;
  /** Index of the identity being looked up; identities after it are tried if it is missing. */
  readonly identityIndex: number;
}

/** The server's flight between ServerHello and Finished: what finishing it needs. */
export interface FlightInProgress {
  readonly neg: Negotiated;
  readonly transcript: Transcript;
  readonly handshakeSecret: HandshakeSecret;
  readonly clientHandshakeSecret: Uint8Array;
  readonly serverHandshakeSecret: Uint8Array;
  /** Plaintext records (ServerHello, CCS) and handshake messages to protect, not yet written. */
  readonly flight: PendingFlight;
  readonly clientAuthRequested: boolean;
}

/** Our flight is built up to Certificate; waiting for the CertificateVerify signature. No records are taken. */
export interface AwaitingSignature extends FlightInProgress {
  readonly kind: 'awaiting_signature';
  readonly conn: Conn;
  readonly content: Uint8Array;
}

export interface PendingFlight {
  readonly plaintext: Uint8Array[];
  readonly handshake: Uint8Array[];
  readonly protector: RecordProtector;
}

/** Secrets and transcript once our Finished is out. */
export interface AfterServerFinished {
  readonly neg: Negotiated;
  readonly transcript: Transcript;
  readonly clientHandshakeSecret: Uint8Array;
  readonly master: MasterSecret;
  readonly clientApplicationSecret: Uint8Array;
  readonly serverApplicationSecret: Uint8Array;
}

export interface ExpectCertificate {
  readonly kind: 'expect_certificate';
  readonly conn: Conn;
  readonly hs: AfterServerFinished;
}

export interface ExpectCertificateVerify {
  readonly kind: 'expect_certificate_verify';
  readonly conn: Conn;
  readonly hs: AfterServerFinished;
  readonly clientChain: readonly Uint8Array[];
}

export interface ExpectFinished {
  readonly kind: 'expect_finished';
  readonly conn: Conn;
  readonly hs: AfterServerFinished;
  readonly clientChain: readonly Uint8Array[];
}

export interface Traffic {
  readonly kind: 'traffic';
  readonly conn: Conn;
  readonly suite: Tls13Suite;
  readonly readSecret: Uint8Array;
  readonly writeSecret: Uint8Array;
}

export interface Closed {
  readonly kind: 'closed';
  readonly conn: Conn;
}

export type ServerState =
  | ExpectClientHello
  | AwaitingSession
  | AwaitingSignature
  | ExpectCertificate
  | ExpectCertificateVerify
  | ExpectFinished
  | Traffic
  | Closed;

/** States that take records from the peer; the others leave them buffered in the deframer. */
export function acceptsRecords(s: ServerState): boolean {
  return s.kind !== 'awaiting_session' && s.kind !== 'awaiting_signature' && s.kind !== 'closed';
}
