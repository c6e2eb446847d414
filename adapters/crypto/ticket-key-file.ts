// The Traffic Server ticket-key file format (CONFIG.md `session.tickets.key_file`): 48-byte keys back
// to back, the first one encrypts and the others still decrypt. Each key is name (16) || HMAC
// secret (16) || AES key (16), the layout node:tls's setTicketKeys takes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CryptoError } from './errors.js';

export const TICKET_KEY_BYTES = 48;

export function parseTicketKeyFile(bytes: Uint8Array, where = 'ticket key file'): Buffer[] {
  if (bytes.length === 0 || bytes.length % TICKET_KEY_BYTES !== 0) {
    throw new CryptoError('bad_key_file', `${where}: ${bytes.length} bytes is not a non-empty multiple of ${TICKET_KEY_BYTES} (48-byte keys back to back)`);
  }
  const keys: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += TICKET_KEY_BYTES) keys.push(Buffer.from(bytes.subarray(i, i + TICKET_KEY_BYTES)));
  return keys;
}

export function formatTicketKeyFile(keys: readonly Uint8Array[]): Buffer {
  for (const k of keys) if (k.length !== TICKET_KEY_BYTES) throw new CryptoError('bad_key_file', `a ticket key has ${k.length} bytes, not ${TICKET_KEY_BYTES}`);
  return Buffer.concat(keys.map((k) => Buffer.from(k)));
}

export function readTicketKeyFile(file: string): Buffer[] {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw new CryptoError('bad_key_file', `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTicketKeyFile(raw, file);
}

/** A stable, non-secret id for a key from a file: a hash of the whole key, never the key itself. */
export function fileKeyId(key: Uint8Array): string {
  return `f${createHash('sha256').update('tlsedge file key id').update(key).digest('hex').slice(0, 12)}`;
}
