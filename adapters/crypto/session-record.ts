// A TLS session as the session store keeps it: the serialized session (secret: it holds the master
// secret) sealed under the fleet key with the session id as associated data, next to the facts
// needed to refuse it without opening it elsewhere (scope, expiry) — those are inside the seal too,
// so a store cannot move a session to another policy.
import { createHash } from 'node:crypto';
import { CryptoError } from './errors.js';
import type { Sealer } from './seal.js';

export interface SessionFacts {
  /** The ticket/policy scope the session was issued under. */
  scope: string;
  /** The node that issued it. */
  node: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export interface OpenedSession extends SessionFacts {
  /** Serialized session for node:tls `resumeSession` (or the offload engine's encoded session). */
  data: Buffer;
}

/** The store key of a session id: a hash, so ids never appear in KV keys, events or logs. */
export function sessionKey(sessionId: Uint8Array): string {
  return createHash('sha256').update('tlsedge session key\0').update(sessionId).digest('hex').slice(0, 32);
}

export function sealSession(sealer: Sealer, key: string, facts: SessionFacts, data: Uint8Array): string {
  const header = Buffer.from(JSON.stringify(facts), 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(header.length);
  return sealer.seal(Buffer.concat([len, header, data]), `session ${key}`);
}

export function openSession(sealer: Sealer, key: string, sealed: string): OpenedSession {
  const raw = sealer.open(sealed, `session ${key}`);
  if (raw.length < 2) throw new CryptoError('bad_sealed', 'sealed session too short');
  const n = raw.readUInt16BE(0);
  if (raw.length < 2 + n) throw new CryptoError('bad_sealed', 'sealed session header truncated');
  const facts = JSON.parse(raw.subarray(2, 2 + n).toString('utf8')) as SessionFacts;
  return { ...facts, data: raw.subarray(2 + n) };
}

/**
 * The protocol version inside a serialized OpenSSL SSL_SESSION (DER: SEQUENCE { INTEGER 1,
 * INTEGER ssl_version, … }), e.g. 0x0303 for TLS 1.2; undefined when it does not parse.
 */
export function sessionProtocolVersion(der: Uint8Array): number | undefined {
  let i = 0;
  if (der[i++] !== 0x30) return undefined;
  const len = der[i++];
  if (len === undefined) return undefined;
  if (len & 0x80) i += len & 0x7f; // long-form length
  if (der[i] !== 0x02 || der[i + 1] !== 0x01) return undefined; // INTEGER (1 byte): session format version
  i += 3;
  if (der[i] !== 0x02) return undefined;
  const n = der[i + 1]!;
  if (n < 1 || n > 2) return undefined;
  return n === 1 ? der[i + 2] : (der[i + 2]! << 8) | der[i + 3]!;
}
