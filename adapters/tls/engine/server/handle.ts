// The engine's one entry point: handle(state, input) → { state, out }. Never throws, never does
// I/O. Inputs are dispatched to the state's handler; records buffered in the deframer are taken
// while the state accepts them; every failure becomes one alert here (via records.fail).
import { decodeAlert } from '../record/alert.js';
import { checkCompatibilityCcs } from '../record/ccs.js';
import { MAX_PLAINTEXT, type TlsRecord } from '../record/deframer.js';
import { AlertDescription, ContentType, nameOf } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { onClientCertificate, onClientCertificateVerify } from './expect-client-auth.js';
import { onClientHello, onSessionAnswer } from './expect-client-hello.js';
import { onClientFinished } from './expect-finished.js';
import type { EngineInput, EngineOutput } from './io.js';
import { fail, newConn, sendCloseNotify, type Out } from './records.js';
import { onSignatureFailed, onSignatureReady } from './server-flight.js';
import { acceptsRecords, type Closed, type ExpectClientHello, type ServerState } from './state.js';
import { onTrafficHandshake, sendApplicationData, sendKeyUpdate } from './traffic.js';

export interface Step {
  readonly state: ServerState;
  readonly out: EngineOutput[];
}

/** A new connection, waiting for the ClientHello. */
export function createServer(config: ServerConfig): ExpectClientHello {
  return { kind: 'expect_client_hello', conn: newConn(resolveConfig(config)), retry: undefined };
}

/** Consumes `state` (keep only the returned one) and returns the next state and the outputs, in order. */
export function handle(state: ServerState, input: EngineInput): Step {
  const out: Out = [];
  if (state.kind === 'closed') {
    if (input.type !== 'received' && input.type !== 'eof') out.push({ type: 'input_refused', input: input.type, reason: 'connection closed' });
    return { state, out };
  }
  try {
    let next = dispatch(state, input, out);
    next = drain(next, out);
    return { state: next, out };
  } catch (err) {
    return { state: fail(state.conn, err, out), out };
  }
}

function dispatch(state: Exclude<ServerState, Closed>, input: EngineInput, out: Out): ServerState {
  const conn = state.conn;
  switch (input.type) {
    case 'received':
      conn.deframer.push(input.data);
      return state;
    case 'eof':
      return onEof(state, out);
    case 'signature_ready':
      if (state.kind !== 'awaiting_signature') return refuse(state, input, 'no signature was requested', out);
      return onSignatureReady(state, input.signature, out);
    case 'signature_failed':
      if (state.kind !== 'awaiting_signature') return refuse(state, input, 'no signature was requested', out);
      return onSignatureFailed(state, input.reason, out);
    case 'session_found':
      if (state.kind !== 'awaiting_session') return refuse(state, input, 'no session lookup is pending', out);
      return onSessionAnswer(state, input.session, out);
    case 'session_missing':
      if (state.kind !== 'awaiting_session') return refuse(state, input, 'no session lookup is pending', out);
      return onSessionAnswer(state, undefined, out);
    case 'send':
      if (state.kind !== 'traffic' || conn.closeSent) return refuse(state, input, 'not established or already closed for writing', out);
      return sendApplicationData(state, input.data, out);
    case 'key_update':
      if (state.kind !== 'traffic' || conn.closeSent) return refuse(state, input, 'not established or already closed for writing', out);
      return sendKeyUpdate(state, input.requestPeer, out);
    case 'close':
      sendCloseNotify(conn, out);
      // A handshake cut short by the host is over; an established one waits for the peer's close_notify.
      if (state.kind !== 'traffic' || conn.closeReceived) return close(state, 'close_notify', out);
      return state;
  }
}

function refuse(state: ServerState, input: EngineInput, reason: string, out: Out): ServerState {
  out.push({ type: 'input_refused', input: input.type, reason });
  return state;
}

function close(state: ServerState, reason: 'close_notify' | 'alert_received' | 'eof', out: Out): Closed {
  out.push({ type: 'closed', reason });
  return { kind: 'closed', conn: state.conn };
}

function onEof(state: Exclude<ServerState, Closed>, out: Out): ServerState {
  const conn = state.conn;
  if (state.kind !== 'traffic') return close(state, 'eof', out);
  if (!conn.closeReceived) {
    conn.closeReceived = true;
    out.push({ type: 'peer_closed', closeNotify: false });
  }
  return conn.closeSent ? close(state, 'eof', out) : state;
}

/** Takes buffered records while the state accepts them; then bounds what is left. */
function drain(state: ServerState, out: Out): ServerState {
  let s = state;
  while (acceptsRecords(s)) {
    const record = s.conn.deframer.next();
    if (!record) break;
    s = onRecord(s, record, out);
  }
  if (s.kind !== 'closed') s.conn.deframer.checkBacklog();
  return s;
}

function onRecord(state: ServerState, record: TlsRecord, out: Out): ServerState {
  const conn = state.conn;
  // RFC 8446 §6.1: "Any data received after a closure alert has been received MUST be ignored."
  if (conn.closeReceived) return state;
  switch (record.type) {
    case ContentType.change_cipher_spec:
      if (!conn.ccsAllowed || ++conn.ccsSeen > conn.config.limits.maxCompatibilityCcs) {
        throw new TlsError('unexpected_message', 'change_cipher_spec outside the handshake');
      }
      checkCompatibilityCcs(record.fragment);
      return state;
    case ContentType.alert:
      // A client that could not process our ServerHello alerts in plaintext; once it encrypts, it must keep doing so.
      if (conn.peerEncrypted) throw new TlsError('unexpected_message', 'plaintext alert after encryption started');
      checkPlaintextLength(record);
      return onAlert(state, record.fragment, out);
    case ContentType.handshake:
      if (conn.reader) throw new TlsError('unexpected_message', 'plaintext handshake record after keys changed');
      checkPlaintextLength(record);
      conn.joiner.push(record.fragment);
      return deliverMessages(state, out);
    default:
      return onProtected(state, record, out);
  }
}

function onProtected(state: ServerState, record: TlsRecord, out: Out): ServerState {
  const conn = state.conn;
  const early = conn.earlyData;
  if (!conn.reader) {
    // After a HelloRetryRequest, rejected 0-RTT is skipped by its outer type (§4.2.10).
    if (early.mode === 'plaintext') return skipEarlyData(state, record, out);
    throw new TlsError('unexpected_message', 'protected record before keys were established');
  }
  const opened = conn.reader.unprotect(record.header, record.fragment);
  if (!opened) {
    // §4.2.10: rejected 0-RTT is skipped by trial decryption, up to max_early_data_size.
    if (early.mode === 'trial') return skipEarlyData(state, record, out);
    throw new TlsError('bad_record_mac', 'record does not authenticate');
  }
  if (early.mode === 'trial') conn.earlyData = { mode: 'none', budget: 0, skipped: early.skipped };
  conn.peerEncrypted = true;
  switch (opened.type) {
    case ContentType.handshake:
      conn.joiner.push(opened.content);
      return deliverMessages(state, out);
    case ContentType.application_data:
      if (state.kind !== 'traffic') throw new TlsError('unexpected_message', 'application data before the handshake completed');
      if (!conn.joiner.isEmpty) throw new TlsError('unexpected_message', 'application data inside a fragmented handshake message');
      if (opened.content.length > 0) out.push({ type: 'application_data', data: opened.content });
      return state;
    case ContentType.alert:
      return onAlert(state, opened.content, out);
    default:
      throw new TlsError('unexpected_message', `protected record of inner type ${opened.type}`);
  }
}

function skipEarlyData(state: ServerState, record: TlsRecord, out: Out): ServerState {
  const conn = state.conn;
  const early = conn.earlyData;
  // The AEAD tag and inner type byte are not early data; count the rest.
  const bytes = Math.max(0, record.fragment.length - 17);
  const skipped = early.skipped + bytes;
  if (skipped > early.budget) throw new TlsError('unexpected_message', `more than ${early.budget} bytes of rejected early data`);
  conn.earlyData = { ...early, skipped };
  out.push({ type: 'early_data_skipped', bytes });
  return state;
}

function deliverMessages(state: ServerState, out: Out): ServerState {
  let s = state;
  for (;;) {
    const message = s.conn.joiner.next();
    if (!message) return s;
    s = onHandshakeMessage(s, message, out);
    if (!acceptsRecords(s)) {
      // Paused for the host (signature, lookup): anything still buffered would cross a key change.
      s.conn.joiner.requireBoundary('the message before a pause');
      return s;
    }
  }
}

function onHandshakeMessage(state: ServerState, raw: Uint8Array, out: Out): ServerState {
  switch (state.kind) {
    case 'expect_client_hello':
      return onClientHello(state, raw, out);
    case 'expect_certificate':
      return onClientCertificate(state, raw, out);
    case 'expect_certificate_verify':
      return onClientCertificateVerify(state, raw, out);
    case 'expect_finished':
      return onClientFinished(state, raw, out);
    case 'traffic':
      return onTrafficHandshake(state, raw, out);
    default:
      throw new TlsError('unexpected_message', `handshake message in state ${state.kind}`);
  }
}

function onAlert(state: ServerState, content: Uint8Array, out: Out): ServerState {
  const conn = state.conn;
  const alert = decodeAlert(content);
  out.push({ type: 'alert_received', level: alert.level, description: alert.description, name: nameOf(AlertDescription, alert.description) });
  if (alert.description === AlertDescription.close_notify) {
    conn.closeReceived = true;
    out.push({ type: 'peer_closed', closeNotify: true });
    // During the handshake a close_notify ends it; once established, we may still finish writing.
    if (state.kind !== 'traffic' || conn.closeSent) return close(state, state.kind === 'traffic' ? 'close_notify' : 'alert_received', out);
    return state;
  }
  // §6.1: user_canceled is a warning, normally followed by close_notify.
  if (alert.description === AlertDescription.user_canceled) return state;
  // §6.2: every other alert is fatal; we answer nothing.
  conn.closeSent = true;
  return close(state, 'alert_received', out);
}

function checkPlaintextLength(record: TlsRecord): void {
  if (record.fragment.length > MAX_PLAINTEXT) throw new TlsError('record_overflow', `plaintext record of ${record.fragment.length} bytes`);
}
