// Ticket keys scoped to a TLS policy (docs/design/ticket-keys.md, nginx CVE-2025-23419): each
// policy's 48-byte ticket key is derived by HKDF-SHA256 from the block key and a hash of what makes
// a resumed session safe to accept — the certificate, the client-certificate mode and the CA set —
// so a ticket issued under one name's policy never decrypts under another's.
//
// Derived key = scope name (8) || node tag (8) || HMAC secret (16) || AES key (16). The secrets
// depend only on (block key, scope): every proxy decrypts every proxy's tickets. The node tag says
// which proxy issued the ticket; OpenSSL authenticates the whole ticket (key name included) with
// the HMAC, so the tag cannot be changed without the ticket failing.
import { createHash, hkdfSync } from 'node:crypto';
import { TICKET_KEY_BYTES } from './ticket-key-file.js';

export interface ScopeInput {
  /** The served certificate chain (PEM text or its fingerprint): a different certificate is a different scope. */
  certificate: string;
  clientCertMode: 'none' | 'request' | 'require';
  /** The CA bundle that verifies client certificates (PEM text or fingerprint), '' when none. */
  clientCa: string;
}

/** 16 hex chars naming a scope; equal inputs give equal scopes in every process. */
export function ticketScope(input: ScopeInput): string {
  return createHash('sha256')
    .update('tlsedge ticket scope v1\0')
    .update(input.certificate)
    .update('\0')
    .update(input.clientCertMode)
    .update('\0')
    .update(input.clientCa)
    .digest('hex')
    .slice(0, 16);
}

/** 8 bytes naming the issuing node inside the key name. */
export function nodeTag(nodeId: string): Buffer {
  return createHash('sha256').update('tlsedge node tag\0').update(nodeId).digest().subarray(0, 8);
}

export interface ScopedKeyParts {
  /** First 8 bytes of the key name, hex (16 chars): routes a presented ticket to its key and scope. */
  scopeName: string;
  /** HMAC secret || AES key (32 bytes). */
  secrets: Buffer;
}

/** The per-scope half of a derived key. Costs one HKDF: do it once per (key, scope), never per connection. */
export function deriveScopedParts(blockKey: Uint8Array, scope: string): ScopedKeyParts {
  const okm = Buffer.from(hkdfSync('sha256', blockKey, Buffer.from('tlsedge ticket key v1'), `scope ${scope}`, 40));
  return { scopeName: okm.subarray(0, 8).toString('hex'), secrets: okm.subarray(8, 40) };
}

/** The 48 bytes for setTicketKeys: scope name || node tag || secrets. */
export function scopedTicketKey(parts: ScopedKeyParts, tag: Uint8Array): Buffer {
  const key = Buffer.concat([Buffer.from(parts.scopeName, 'hex'), tag, parts.secrets]);
  if (key.length !== TICKET_KEY_BYTES) throw new RangeError('derived ticket key must be 48 bytes');
  return key;
}
