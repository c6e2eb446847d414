// PSK resumption (RFC 8446 §4.2.11, §4.6.1): validating an offered session (lifetime, SNI binding,
// suite hash, binder) and issuing NewSessionTickets after the handshake, stateless through the
// ticket port or stateful through the session store.
import type { ClientHello } from '../../wire/client-hello.js';
import { ContentType, ExtensionType } from '../../wire/enums.js';
import { TlsError, isTlsError } from '../../wire/errors.js';
import { truncatedClientHello } from '../../wire/client-hello.js';
import { encodeEarlyDataTicket } from '../../wire/extensions/early-data.js';
import { concatBytes, constantTimeEqual } from '../bytes.js';
import { EarlySecret, finishedVerifyData, ticketPsk } from '../key-schedule.js';
import { encodeNewSessionTicket, MAX_TICKET_LIFETIME_SECONDS } from '../messages/new-session-ticket.js';
import { suiteByCode, type Tls13Suite } from '../suites.js';
import type { ResumptionKind } from './io.js';
import type { ServerPolicy } from './policy.js';
import { protectedRecords, write, type Out } from './records.js';
import { decodeSession, encodeSession, type ResumableSession } from './session.js';
import type { Conn, Negotiated, RetryContext } from './state.js';

/** A session-store identity is 32 random bytes; sealed tickets are always longer. */
export const SESSION_ID_LENGTH = 32;

/** Clock skew tolerated for a ticket issued "in the future" by another machine of the fleet. */
const FUTURE_SKEW_MS = 60_000;

export interface AcceptedPsk {
  readonly kind: ResumptionKind;
  readonly session: ResumableSession;
  readonly identityIndex: number;
  readonly keyName: string | null;
  readonly earlySecret: EarlySecret;
}

/**
 * Checks one offered session. Returns undefined when it cannot be used (expired, other SNI,
 * incompatible suite, client auth now required): the caller tries the next identity or falls
 * back to a full handshake. A usable session with a wrong binder aborts (§4.2.11: decrypt_error).
 */
export function acceptSession(
  conn: Conn,
  hello: ClientHello,
  policy: ServerPolicy,
  suite: Tls13Suite,
  retry: RetryContext | undefined,
  identityIndex: number,
  sessionBytes: Uint8Array,
  kind: ResumptionKind,
  keyName: string | null,
): AcceptedPsk | undefined {
  let session: ResumableSession;
  try {
    session = decodeSession(sessionBytes);
  } catch (err) {
    if (isTlsError(err)) return undefined;
    throw err;
  }
  const now = conn.config.clock.now();
  const age = now - session.issuedAtMs;
  const lifetimeMs = session.lifetimeSeconds * 1000;
  if (age > lifetimeMs || age < -FUTURE_SKEW_MS) return undefined;
  // §4.2.11.1: the client's view of the age is obfuscated_ticket_age - ticket_age_add (mod 2^32).
  // It only matters for 0-RTT (never accepted), but a client claiming a ticket older than its
  // lifetime is holding a stale ticket: treat it as expired.
  const clientAge = (hello.preSharedKey!.identities[identityIndex]!.obfuscatedTicketAge - session.ageAdd) >>> 0;
  if (clientAge > lifetimeMs + FUTURE_SKEW_MS) return undefined;
  // The PSK's hash must be the selected suite's hash (§4.2.11).
  if (suiteByCode(session.suite)?.hash !== suite.hash) return undefined;
  // Sessions are bound to the name they were established under (a ticket for a.test never resumes b.test).
  if (session.sni !== (hello.serverName ?? '')) return undefined;
  if (policy.clientAuth.mode === 'require' && session.clientCertificates.length === 0) return undefined;

  const p = conn.config.provider;
  const earlySecret = EarlySecret.create(p, suite, session.psk);
  const binderKey = earlySecret.binderKey('resumption');
  const truncated = truncatedClientHello(hello);
  const transcriptHash = retry ? retry.transcript.hashWith(truncated) : p.hash(suite.hash, truncated);
  const expected = finishedVerifyData(p, suite, binderKey, transcriptHash);
  const offered = hello.preSharedKey!.binders[identityIndex]!;
  if (!constantTimeEqual(expected, offered)) {
    throw new TlsError('decrypt_error', `PSK binder of identity ${identityIndex} does not verify`);
  }
  return { kind, session, identityIndex, keyName, earlySecret };
}

/** Bytes of rejected 0-RTT the server skips before giving up (§4.2.10: unexpected_message beyond it). */
export function earlyDataBudget(policy: ServerPolicy, session: ResumableSession | undefined): number {
  return Math.max(policy.tickets.maxEarlyData, session?.maxEarlyData ?? 0);
}

/**
 * Sends the policy's NewSessionTickets after the client Finished (§4.6.1), each with its own
 * nonce and PSK. Stateless tickets are sealed by the ticket port (none if it has no active key);
 * stateful ones are random store keys, with a `store_session` request for the host.
 */
export function issueTickets(
  conn: Conn,
  neg: Negotiated,
  resumptionMasterSecret: Uint8Array,
  clientCertificates: readonly Uint8Array[],
  out: Out,
): void {
  const t = neg.policy.tickets;
  if (t.mode === 'off' || t.count <= 0 || !neg.clientCanResume) return;
  const port = conn.config.tickets;
  if (t.mode === 'stateless' && !port) return;
  const p = conn.config.provider;
  const lifetimeSeconds = Math.min(t.lifetimeSeconds, MAX_TICKET_LIFETIME_SECONDS);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < Math.min(t.count, 8); i++) {
    const nonce = new Uint8Array([i >> 8, i & 0xff]);
    const ageBytes = p.random(4, 'ticket_age_add');
    const ageAdd = ((ageBytes[0]! << 24) | (ageBytes[1]! << 16) | (ageBytes[2]! << 8) | ageBytes[3]!) >>> 0;
    const session: ResumableSession = {
      suite: neg.suite.code,
      psk: ticketPsk(p, neg.suite, resumptionMasterSecret, nonce),
      issuedAtMs: conn.config.clock.now(),
      ageAdd,
      lifetimeSeconds,
      sni: neg.sni ?? '',
      alpn: neg.alpn ?? '',
      maxEarlyData: t.maxEarlyData,
      clientCertificates,
    };
    const bytes = encodeSession(session);
    let ticket: Uint8Array | undefined;
    let keyName: string | null = null;
    if (t.mode === 'stateless') {
      ticket = port!.seal(bytes);
      if (!ticket) break; // no active ticket key: no (more) tickets, full handshakes next time
      keyName = port!.keyNameOf(ticket) ?? null;
    } else {
      ticket = p.random(SESSION_ID_LENGTH, 'session_id');
      out.push({ type: 'store_session', identity: ticket, session: bytes, ttlMs: lifetimeSeconds * 1000, sni: neg.sni ?? null });
    }
    const extensions = t.maxEarlyData > 0 ? [{ type: ExtensionType.early_data, data: encodeEarlyDataTicket(t.maxEarlyData) }] : [];
    messages.push(encodeNewSessionTicket({ lifetimeSeconds, ageAdd, nonce, ticket, extensions }));
    out.push({ type: 'ticket_issued', kind: t.mode === 'stateless' ? 'ticket' : 'session', keyName, lifetimeSeconds });
  }
  // All tickets in as few records as the size limit allows: one AEAD seal and record instead of one each.
  if (messages.length > 0) write(out, protectedRecords(conn, ContentType.handshake, concatBytes(messages)));
}
