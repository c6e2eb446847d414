// pre_shared_key (RFC 8446 §4.2.11): OfferedPsks in the ClientHello (identities, then binders —
// the binders are computed over the hello truncated before them), selected_identity in the ServerHello.
import { TlsError } from '../errors.js';
import { decodeWhole, encodeWith } from './codec.js';

export interface PskIdentity {
  /** A ticket, or a session-store key; a view into the message bytes. */
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
  /**
   * Offset of the binders list (its 2-byte length) within the ClientHello message bytes:
   * `raw.subarray(0, bindersOffset)` is the truncated ClientHello the binders sign (§4.2.11.2).
   * Relative to extension_data when returned by decodeOfferedPsks alone.
   */
  readonly bindersOffset: number;
}

export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  return decodeWhole(data, 'pre_shared_key', (r) => {
    const ids = r.sub(2, 'pre_shared_key identities', 7, 0xffff);
    const identities: PskIdentity[] = [];
    while (!ids.atEnd) {
      const identity = ids.vector(2, 'psk identity', 1, 0xffff);
      const obfuscatedTicketAge = ids.u32();
      identities.push({ identity, obfuscatedTicketAge });
    }
    const bindersOffset = r.position;
    const list = r.sub(2, 'pre_shared_key binders', 33, 0xffff);
    const binders: Uint8Array[] = [];
    while (!list.atEnd) binders.push(list.vector(1, 'psk binder', 32, 255));
    // RFC 8446 §4.2.11: one binder per identity, in the same order.
    if (binders.length !== identities.length) {
      throw new TlsError('illegal_parameter', `pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
    }
    return { identities, binders, bindersOffset };
  });
}

export function encodeOfferedPsks(identities: readonly PskIdentity[], binders: readonly Uint8Array[]): Uint8Array {
  return encodeWith((w) => {
    w.vector(2, (l) => {
      for (const id of identities) l.vector(2, (v) => v.bytes(id.identity)).u32(id.obfuscatedTicketAge >>> 0);
    });
    w.vector(2, (l) => {
      for (const b of binders) l.vector(1, (v) => v.bytes(b));
    });
  });
}

/** Byte length of the binders list as encoded (2-byte length plus each 1-byte-prefixed binder). */
export function bindersLength(binderLengths: readonly number[]): number {
  return 2 + binderLengths.reduce((n, l) => n + 1 + l, 0);
}

export function decodeSelectedIdentity(data: Uint8Array): number {
  return decodeWhole(data, 'pre_shared_key', (r) => r.u16());
}

export function encodeSelectedIdentity(index: number): Uint8Array {
  return encodeWith((w) => w.u16(index), 2);
}
