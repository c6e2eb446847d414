// The fleet key (CONFIG.md `fleet_key_file`): 32 random bytes shared by every process of a fleet,
// from which the sealing keys are derived. Without a file (embedded mode) an ephemeral key is made.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CryptoError } from './errors.js';

export const FLEET_KEY_LENGTH = 32;

export interface FleetKey {
  readonly bytes: Uint8Array;
  /** `file` or `ephemeral` (sealed values do not survive a restart). */
  readonly origin: 'file' | 'ephemeral';
}

/** One per process, so the actors of an embedded process (rotator, proxy) share it. */
let ephemeral: FleetKey | undefined;

export function loadFleetKey(file: string | undefined): FleetKey {
  if (!file) return (ephemeral ??= { bytes: randomBytes(FLEET_KEY_LENGTH), origin: 'ephemeral' });
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw new CryptoError('fleet_key_unreadable', `fleet_key_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Accept the raw 32 bytes, or the same as hex/base64 text (operators paste keys).
  if (raw.length === FLEET_KEY_LENGTH) return { bytes: raw, origin: 'file' };
  const text = raw.toString('utf8').trim();
  for (const decoded of [/^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined, Buffer.from(text, 'base64')]) {
    if (decoded && decoded.length === FLEET_KEY_LENGTH) return { bytes: decoded, origin: 'file' };
  }
  throw new CryptoError('bad_fleet_key', `fleet_key_file ${file} must hold 32 random bytes (raw, hex or base64); it has ${raw.length} bytes — create one with \`head -c 32 /dev/urandom > ${file}\``);
}
