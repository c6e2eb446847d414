// Session events (ARCHITECTURE "Events": tlsedge.session.stored|resumed|missed|evicted). The
// correlation id is the session's store key (a hash of its id), so one session's life reads as one
// stream; no event carries session bytes.
export const SESSION_EVENT_PREFIX = 'tlsedge.session.';

export type SessionMissReason = 'not_found' | 'expired' | 'policy_mismatch' | 'store_timeout' | 'unreadable';

export interface SessionEventData {
  /** The store kept a new session (sealed) until `expiresAt`. */
  stored: { scope: string; issuer: string; backend: 'memory' | 'nats-kv'; expiresAt: string };
  /** A proxy resumed a session from the store; `elsewhere` when another node had issued it. */
  resumed: { scope: string; issuer: string; node: string; elsewhere: boolean; from: 'local' | 'store' };
  /** A proxy looked a session up and could not use it, and why. */
  missed: { reason: SessionMissReason; scope: string; node: string; issuedScope?: string };
  /** An operator revoked a session (`session.revoke`): it can no longer resume anywhere. */
  revoked: { found: boolean; node: string };
  /** The embedded store dropped least recently used sessions for space. */
  evicted: { count: number; backend: 'memory' };
}

export type SessionFact = keyof SessionEventData;

export function sessionEventType<F extends SessionFact>(fact: F): `tlsedge.session.${F}` {
  return `${SESSION_EVENT_PREFIX}${fact}` as `tlsedge.session.${F}`;
}

export const sessionEventCatalogue: Record<SessionFact, string> = {
  stored: 'The session store kept a new TLS session (sealed under the fleet key) for session-ID resumption.',
  resumed: 'A proxy resumed a session by its session ID; says which node issued it.',
  missed: 'A session-ID lookup could not resume: not_found, expired, policy_mismatch (issued under another policy), store_timeout.',
  revoked: 'A session was revoked by an operator (`session-store` `revoke` command); no proxy resumes it any more.',
  evicted: 'The embedded store dropped least recently used sessions to stay within `session.cache.size`.',
};
