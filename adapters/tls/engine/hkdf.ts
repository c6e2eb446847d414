// HKDF (RFC 5869) and the TLS 1.3 labels on top of it (RFC 8446 §7.1): HKDF-Expand-Label and
// Derive-Secret, built on the provider's HMAC so the engine stays free of node:*.
import { utf8 } from './bytes.js';
import type { CryptoProvider, HashName } from './provider.js';

export function hkdfExtract(p: CryptoProvider, hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hmac(hash, salt, ikm);
}

export function hkdfExpand(p: CryptoProvider, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length <= HASH_LENGTH[hash]) return expandOneBlock(p, hash, prk, info, length);
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  let filled = 0;
  for (let counter = 1; filled < length; counter++) {
    const block = new Uint8Array(previous.length + info.length + 1);
    block.set(previous, 0);
    block.set(info, previous.length);
    block[block.length - 1] = counter;
    previous = p.hmac(hash, prk, block) as Uint8Array<ArrayBuffer>;
    const take = Math.min(previous.length, length - filled);
    out.set(previous.subarray(0, take), filled);
    filled += take;
  }
  return out;
}

const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48 };

/**
 * T(1) = HMAC(PRK, info ‖ 0x01), truncated: every output TLS 1.3 asks for (keys, IVs, secrets,
 * Finished keys) fits in one hash block, so this is the whole expansion: one HMAC, no output copy.
 */
function expandOneBlock(p: CryptoProvider, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const block = new Uint8Array(info.length + 1);
  block.set(info, 0);
  block[info.length] = 1;
  const t1 = p.hmac(hash, prk, block);
  return t1.length === length ? t1 : t1.slice(0, length);
}

/** The handful of labels TLS 1.3 uses, encoded once. */
const labelBytes = new Map<string, Uint8Array>();

/** HkdfLabel: uint16 length, opaque label<7..255> = "tls13 " + Label, opaque context<0..255>. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  let l = labelBytes.get(label);
  if (!l) {
    l = utf8(`tls13 ${label}`);
    labelBytes.set(label, l);
  }
  const out = new Uint8Array(2 + 1 + l.length + 1 + context.length);
  out[0] = length >> 8;
  out[1] = length & 0xff;
  out[2] = l.length;
  out.set(l, 3);
  out[3 + l.length] = context.length;
  out.set(context, 4 + l.length);
  return out;
}

export function hkdfExpandLabel(p: CryptoProvider, hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  return hkdfExpand(p, hash, secret, hkdfLabel(label, context, length), length);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(p: CryptoProvider, hash: HashName, hashLength: number, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, hash, secret, label, transcriptHash, hashLength);
}
