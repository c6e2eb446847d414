// key_share (RFC 8446 §4.2.8): client_shares in the ClientHello, one server_share in the
// ServerHello, and only the selected_group in a HelloRetryRequest.
import { TlsError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { decodeWhole, encodeWith } from './codec.js';

export interface KeyShareEntry {
  readonly group: number;
  /** The public value, a view into the message bytes. */
  readonly keyExchange: Uint8Array;
}

export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  return decodeWhole(data, 'key_share', (r) => {
    const list = r.sub(2, 'key_share client_shares', 0, 0xffff);
    const out: KeyShareEntry[] = [];
    const groups = new Set<number>();
    while (!list.atEnd) {
      const entry = readEntry(list);
      // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group."
      if (groups.has(entry.group)) throw new TlsError('illegal_parameter', `key_share: group ${entry.group} offered twice`);
      groups.add(entry.group);
      out.push(entry);
    }
    return out;
  });
}

export function encodeKeyShareClient(entries: readonly KeyShareEntry[]): Uint8Array {
  return encodeWith((w) =>
    w.vector(2, (l) => {
      for (const e of entries) writeEntry(l, e);
    }),
  );
}

export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  return decodeWhole(data, 'key_share', readEntry);
}

export function encodeKeyShareServer(entry: KeyShareEntry): Uint8Array {
  return encodeWith((w) => writeEntry(w, entry), entry.keyExchange.length + 4);
}

export function decodeKeyShareHelloRetry(data: Uint8Array): number {
  return decodeWhole(data, 'key_share', (r) => r.u16());
}

export function encodeKeyShareHelloRetry(selectedGroup: number): Uint8Array {
  return encodeWith((w) => w.u16(selectedGroup), 2);
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  const keyExchange = r.vector(2, 'key_exchange', 1, 0xffff);
  return { group, keyExchange };
}

function writeEntry(w: Writer, e: KeyShareEntry): void {
  w.u16(e.group).vector(2, (v) => v.bytes(e.keyExchange));
}
