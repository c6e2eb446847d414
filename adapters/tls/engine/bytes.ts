// Small byte helpers for the engine (no node:* allowed here, so no Buffer).

/** The empty byte string, shared: a zero-length array cannot be written to. */
export const EMPTY_BYTES = new Uint8Array(0);

const zeroStrings = new Map<number, Uint8Array>();

/**
 * `length` zero bytes, shared per length: for inputs that are only read (the key schedule's
 * all-zero IKM and salts). Callers must never write into it.
 */
export function zeroBytes(length: number): Uint8Array {
  let z = zeroStrings.get(length);
  if (!z) zeroStrings.set(length, (z = new Uint8Array(length)));
  return z;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-time comparison for MACs (Finished, binders): time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** Overwrites secret bytes we no longer need (best effort: JS may have copies elsewhere). */
export function wipe(b: Uint8Array | undefined): void {
  if (b) b.fill(0);
}
