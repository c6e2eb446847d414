// Record I/O for the server states: protected and plaintext writes (fragmented to the peer's
// record_size_limit), key installation that refuses a key change mid-message (RFC 8446 §5.1),
// and the single place a failure becomes an alert (RFC 8446 §6.2).
import { AlertDescription, ContentType, nameOf } from '../../wire/enums.js';
import { TlsError, isTlsError } from '../../wire/errors.js';
import { concatBytes } from '../bytes.js';
import { trafficKeys } from '../key-schedule.js';
import { encodeAlert } from '../record/alert.js';
import { MAX_PLAINTEXT, RecordDeframer } from '../record/deframer.js';
import { fragment, plaintextRecords } from '../record/fragmenter.js';
import { HandshakeJoiner } from '../record/joiner.js';
import { RecordProtector, RecordUnprotector } from '../record/protection.js';
import type { Tls13Suite } from '../suites.js';
import type { ResolvedConfig } from './config.js';
import type { EngineOutput } from './io.js';
import type { Closed, Conn, PendingFlight } from './state.js';

export type Out = EngineOutput[];

export function newConn(config: ResolvedConfig): Conn {
  return {
    config,
    deframer: new RecordDeframer(config.limits.maxBacklog),
    joiner: new HandshakeJoiner(config.limits.maxHandshakeMessage),
    reader: undefined,
    writer: undefined,
    maxSendContent: MAX_PLAINTEXT,
    maxReceiveInner: MAX_PLAINTEXT + 1,
    ccsSent: false,
    peerEncrypted: false,
    ccsAllowed: false,
    ccsSeen: 0,
    earlyData: { mode: 'none', budget: 0, skipped: 0 },
    closeSent: false,
    closeReceived: false,
  };
}

export function protector(conn: Conn, suite: Tls13Suite, secret: Uint8Array): RecordProtector {
  const { key, iv } = trafficKeys(conn.config.provider, suite, secret);
  return new RecordProtector(conn.config.provider.aead(suite.aead, key), iv);
}

/** Switches the read side to `secret`; the handshake message that caused it must end its record. */
export function installReader(conn: Conn, suite: Tls13Suite, secret: Uint8Array, what: string): void {
  conn.joiner.requireBoundary(what);
  const { key, iv } = trafficKeys(conn.config.provider, suite, secret);
  conn.reader = new RecordUnprotector(conn.config.provider.aead(suite.aead, key), iv, conn.maxReceiveInner);
}

export function installWriter(conn: Conn, suite: Tls13Suite, secret: Uint8Array): void {
  conn.writer = protector(conn, suite, secret);
}

/** Protects `content` as records of inner type `type` under the current write key. */
export function protectedRecords(conn: Conn, type: number, content: Uint8Array, with_: RecordProtector | undefined = conn.writer): Uint8Array[] {
  if (!with_) throw new TlsError('internal_error', 'no write key installed');
  return fragment(content, conn.maxSendContent).map((f) => with_.protect(type, f));
}

export function write(out: Out, records: readonly Uint8Array[]): void {
  if (records.length === 0) return;
  out.push({ type: 'write', data: records.length === 1 ? records[0]! : concatBytes(records) });
}

/**
 * Writes a held-back flight: plaintext records first (ServerHello, CCS), then the handshake
 * messages protected with the flight's key, coalesced into as few records as the limit allows.
 * From then on that key is the connection's write key.
 */
export function flushFlight(conn: Conn, flight: PendingFlight, out: Out): void {
  const protectedPart = protectedRecords(conn, ContentType.handshake, concatBytes(flight.handshake), flight.protector);
  write(out, [...flight.plaintext, ...protectedPart]);
  conn.writer = flight.protector;
}

export function plaintextHandshake(message: Uint8Array): Uint8Array[] {
  return plaintextRecords(ContentType.handshake, message);
}

/**
 * Turns any failure into the one fatal alert it maps to (plaintext if the peer has no keys from
 * us yet), reports it, and closes. Non-TlsErrors are engine bugs: internal_error, cause kept.
 */
export function fail(conn: Conn, err: unknown, out: Out): Closed {
  const e = isTlsError(err) ? err : new TlsError('internal_error', 'engine failure', { cause: err });
  if (!conn.closeSent) {
    const alert = encodeAlert(e.alert);
    try {
      write(out, conn.writer ? protectedRecords(conn, ContentType.alert, alert) : plaintextRecords(ContentType.alert, alert));
    } catch {
      // the write key itself is unusable (sequence exhausted): close without an alert
    }
    conn.closeSent = true;
    out.push({ type: 'alert_sent', description: e.alert, name: nameOf(AlertDescription, e.alert), code: e.code, reason: e.message });
  }
  out.push({ type: 'closed', reason: 'alert_sent' });
  return { kind: 'closed', conn };
}

/** Sends close_notify (RFC 8446 §6.1) once. */
export function sendCloseNotify(conn: Conn, out: Out): void {
  if (conn.closeSent) return;
  const alert = encodeAlert(AlertDescription.close_notify);
  write(out, conn.writer ? protectedRecords(conn, ContentType.alert, alert) : plaintextRecords(ContentType.alert, alert));
  conn.closeSent = true;
}
