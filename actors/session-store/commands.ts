// Session-store commands (request/reply, never stored). One interface serves TLS 1.2 session IDs
// on the native engine and, later, TLS 1.3 stateful PSKs of the offload engine: the key is a hash
// of the identity, the value an opaque sealed session.
import { commandSubject } from '../../bus/subjects.js';

export const sessionStoreSubjects = {
  /** Proxy → store (request; queue group `session-store`). Proxies also listen to fill their caches. */
  put: commandSubject('session-store', 'put'),
  /** Proxy → store (request; queue group `session-store`). */
  get: commandSubject('session-store', 'get'),
  /** Proxy → store (request; queue group): get and delete at once — single-use TLS 1.3 stateful PSKs (offload engine). */
  take: commandSubject('session-store', 'take'),
  /** Operator → store (request; queue group): delete a session. Proxies also listen and drop their local copy. */
  revoke: commandSubject('session-store', 'revoke'),
} as const;

export const SESSION_STORE_QUEUE = 'session-store';

export interface SessionPut {
  key: string;
  sealed: string;
  ttlMs: number;
  /** Facts for events (no secrets): the session's scope and issuing node. */
  scope: string;
  issuer: string;
  [k: string]: unknown;
}

export interface SessionGet {
  key: string;
  [k: string]: unknown;
}

/** `take` and `revoke` name the session the same way as `get`. */
export type SessionTake = SessionGet;
export type SessionRevoke = SessionGet;
export interface SessionRevokeReply {
  /** Whether the store held the session. */
  found: boolean;
}

export type SessionGetReply = { found: true; sealed: string } | { found: false; reason: 'not_found' | 'expired' };
