// HMAC (RFC 2104) from node:crypto's one-shot hash: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
//
// The TLS 1.3 key schedule makes ~30 HMACs per handshake. `createHmac` builds a native object for
// each, and V8 finalises every one of them in the next young-generation collection (3–4 ms of each
// 10–18 ms scavenge while 32 TPM handshakes were in flight, docs/performance.md). `crypto.hash`
// (Node ≥ 20.12) hashes in one call with no object left behind, and digests come back as latin1
// strings, which live on V8's heap. The result is a Uint8Array of 32 or 48 bytes, which V8 also
// keeps on its heap (typed arrays up to 64 bytes): no ArrayBuffer to sweep. Twice as fast, too
// (3.7 vs 7.8 µs per HMAC-SHA256 here).
import { hash } from 'node:crypto';
import type { HashName } from '../engine/provider.js';

/** RFC 2104's B (bytes per hash block) and L (bytes per digest). */
const SIZES: Record<HashName, { block: number; digest: number }> = {
  sha256: { block: 64, digest: 32 },
  sha384: { block: 128, digest: 48 },
};

export function oneShotHmac(alg: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  const { block } = SIZES[alg];
  const k = key.length > block ? oneShotHash(alg, key) : key;
  // Scratch: (K ⊕ ipad) ‖ m, then (K ⊕ opad) ‖ inner digest (two buffers: the sizes can be equal).
  const inner = innerScratch(block + data.length);
  const outer = OUTER[alg];
  for (let i = 0; i < block; i++) {
    const b = i < k.length ? k[i]! : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  inner.set(data, block);
  outer.write(hash(alg, inner, 'binary'), block, 'binary');
  const mac = latin1Bytes(hash(alg, outer, 'binary'));
  // The scratch is used again: leave no key-derived bytes in it.
  inner.fill(0);
  outer.fill(0);
  return mac;
}

/**
 * A buffer of exactly `length` bytes for the inner hash's input, reused across calls: the key
 * schedule's inputs come in a handful of sizes (HkdfLabels, digests), and a buffer per HMAC was
 * part of the garbage its ~30 HMACs left per handshake. Synchronous use only (nothing else runs
 * between the fill and the hash). Inputs of unusual sizes get a buffer of their own.
 */
function innerScratch(length: number): Buffer {
  let b = innerBySize.get(length);
  if (!b) {
    b = Buffer.alloc(length);
    if (length <= MAX_SCRATCH_BYTES && innerBySize.size < MAX_SCRATCH_SIZES) innerBySize.set(length, b);
  }
  return b;
}
const innerBySize = new Map<number, Buffer>();
const MAX_SCRATCH_BYTES = 1024;
const MAX_SCRATCH_SIZES = 64;

/** The outer hash's input, (K ⊕ opad) ‖ inner digest: one fixed size per hash. */
const OUTER: Record<HashName, Buffer> = {
  sha256: Buffer.alloc(SIZES.sha256.block + SIZES.sha256.digest),
  sha384: Buffer.alloc(SIZES.sha384.block + SIZES.sha384.digest),
};

/** A digest in one call (no Hash object): for the hashes the engine takes once, not incrementally. */
export function oneShotHash(alg: HashName, data: Uint8Array): Uint8Array {
  return latin1Bytes(hash(alg, data, 'binary'));
}

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
