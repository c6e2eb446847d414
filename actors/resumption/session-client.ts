// The proxy's side of session-ID resumption: a small local cache (filled by this proxy's new
// sessions and by the fleet's, heard on the store's `put` subject) in front of the session store,
// asked with a deadline — a store slower than `lookup_timeout` is a miss (`store_timeout`), never a
// stall. Sessions are sealed here before they leave and opened here after they come back.
import { openSession, sealSession, sessionKey, type OpenedSession } from '../../adapters/crypto/session-record.js';
import type { Sealer } from '../../adapters/crypto/seal.js';
import { LruCache } from '../../adapters/session/lru.js';
import type { Bus, Subscription } from '../../bus/bus.js';
import type { Json } from '../../bus/envelope.js';
import { sessionStoreSubjects, type SessionGetReply, type SessionPut, type SessionRevoke, type SessionRevokeReply } from '../session-store/commands.js';
import type { SessionMissReason } from '../session-store/events.js';

export type LookupOutcome =
  | { found: true; session: OpenedSession; key: string; from: 'local' | 'store' }
  | { found: false; reason: SessionMissReason; key: string; issuedScope?: string };

export interface SessionClientOptions {
  bus: Bus;
  sealer: Sealer;
  nodeId: string;
  ttlMs: number;
  lookupTimeoutMs: number;
  localSize: number;
  onPutFailed?: (reason: string) => void;
}

export class SessionClient {
  private readonly local: LruCache<string>;
  private readonly sub: Subscription | undefined;
  private readonly revokeSub: Subscription | undefined;
  readonly counters = { stored: 0, putFailures: 0, lookups: 0, localHits: 0, storeHits: 0, timeouts: 0 };

  constructor(private readonly options: SessionClientOptions) {
    this.local = new LruCache<string>({ maxEntries: Math.max(1, options.localSize) });
    // Every proxy hears every put (no queue group) and keeps it: most lookups never leave the process.
    if (options.localSize > 0) {
      this.sub = options.bus.subscribe(sessionStoreSubjects.put, (msg) => {
        const p = msg.data as unknown as SessionPut;
        if (p && typeof p.key === 'string' && typeof p.sealed === 'string' && p.issuer !== options.nodeId) this.local.set(p.key, p.sealed, Math.min(options.ttlMs, Number(p.ttlMs) || options.ttlMs));
      });
      // A revoked session must not survive in any proxy's local copy.
      this.revokeSub = options.bus.subscribe(sessionStoreSubjects.revoke, (msg) => {
        const r = msg.data as unknown as SessionRevoke;
        if (r && typeof r.key === 'string') this.local.delete(r.key);
      });
    }
  }

  /** Seals and stores a new session in the background (the handshake never waits for this). */
  store(sessionId: Uint8Array, data: Uint8Array, scope: string): void {
    const key = sessionKey(sessionId);
    const now = Date.now();
    const sealed = sealSession(this.options.sealer, key, { scope, node: this.options.nodeId, issuedAt: now, expiresAt: now + this.options.ttlMs }, data);
    this.local.set(key, sealed, this.options.ttlMs);
    this.counters.stored++;
    const put: SessionPut = { key, sealed, ttlMs: this.options.ttlMs, scope, issuer: this.options.nodeId };
    this.options.bus.request(sessionStoreSubjects.put, put as unknown as Json, { timeoutMs: 2000 }).catch((err: { code?: string }) => {
      this.counters.putFailures++;
      this.options.onPutFailed?.(err.code ?? 'error');
    });
  }

  /** Finds a session for `scope`; resolves within `lookup_timeout` whatever the store does. */
  async lookup(sessionId: Uint8Array, scope: string): Promise<LookupOutcome> {
    const key = sessionKey(sessionId);
    this.counters.lookups++;
    const cached = this.local.get(key);
    if (cached.found) {
      this.counters.localHits++;
      return this.check(key, cached.value, scope, 'local');
    }
    let reply: SessionGetReply;
    try {
      reply = (await this.options.bus.request(sessionStoreSubjects.get, { key }, { timeoutMs: this.options.lookupTimeoutMs })) as unknown as SessionGetReply;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'timeout' || code === 'no_responders' || code === 'closed') this.counters.timeouts++;
      return { found: false, reason: 'store_timeout', key };
    }
    if (!reply || reply.found !== true) return { found: false, reason: reply?.reason === 'expired' ? 'expired' : cached.reason === 'expired' ? 'expired' : 'not_found', key };
    this.counters.storeHits++;
    this.local.set(key, reply.sealed, this.options.ttlMs);
    return this.check(key, reply.sealed, scope, 'store');
  }

  /**
   * Takes a single-use session from the store (the offload engine's TLS 1.3 stateful PSKs): the
   * store deletes it as it answers, so of two proxies offered the same identity at most one
   * resumes. Never answered from the local cache, which other proxies' copies could not see used.
   */
  async take(sessionId: Uint8Array, scope: string): Promise<LookupOutcome> {
    const key = sessionKey(sessionId);
    this.counters.lookups++;
    this.local.delete(key);
    let reply: SessionGetReply;
    try {
      reply = (await this.options.bus.request(sessionStoreSubjects.take, { key }, { timeoutMs: this.options.lookupTimeoutMs })) as unknown as SessionGetReply;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'timeout' || code === 'no_responders' || code === 'closed') this.counters.timeouts++;
      return { found: false, reason: 'store_timeout', key };
    }
    if (!reply || reply.found !== true) return { found: false, reason: reply?.reason === 'expired' ? 'expired' : 'not_found', key };
    this.counters.storeHits++;
    return this.check(key, reply.sealed, scope, 'store');
  }

  /** Revokes a session by its store key (the correlation id of its `tlsedge.session.*` events). */
  async revoke(key: string, timeoutMs = 2000): Promise<boolean> {
    this.local.delete(key);
    const reply = (await this.options.bus.request(sessionStoreSubjects.revoke, { key }, { timeoutMs })) as unknown as SessionRevokeReply;
    return reply?.found === true;
  }

  private check(key: string, sealed: string, scope: string, from: 'local' | 'store'): LookupOutcome {
    let session: OpenedSession;
    try {
      session = openSession(this.options.sealer, key, sealed);
    } catch {
      return { found: false, reason: 'unreadable', key };
    }
    if (session.expiresAt <= Date.now()) return { found: false, reason: 'expired', key };
    // Issued under another policy: never resume it here (CVE-2025-23419 is this, for session IDs).
    if (session.scope !== scope) return { found: false, reason: 'policy_mismatch', key, issuedScope: session.scope };
    return { found: true, session, key, from };
  }

  close(): void {
    this.sub?.unsubscribe();
    this.revokeSub?.unsubscribe();
  }
}
