// The Extension list shared by every handshake message (RFC 8446 §4.2): each type at most once,
// each allowed in its message, kept raw in wire order with its offset so callers can hash prefixes.
import { ExtensionType } from '../enums.js';
import { TlsError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { checkExtensionAllowed, type ExtensionContextName } from './table.js';

/** Lists up to this long are checked for duplicates by scanning. */
const SCAN_LIMIT = 32;

export interface RawExtension {
  readonly type: number;
  /** extension_data, a view into the message bytes (do not mutate). */
  readonly data: Uint8Array;
  /** Offset of this extension's 4-byte header within the whole message. */
  readonly offset: number;
}

export interface ExtensionListLimits {
  /** Minimum byte length of the list (RFC 8446: ClientHello 8, others 0 or 2). */
  min?: number;
}

/**
 * Reads `Extension extensions<min..2^16-1>` at the reader's position. `messageOffset` is the
 * reader's position within the whole handshake message, so offsets refer to the message bytes.
 */
export function readExtensionList(
  r: Reader,
  message: ExtensionContextName,
  messageOffset: number,
  limits: ExtensionListLimits = {},
): RawExtension[] {
  const listStart = messageOffset + r.position + 2;
  const list = r.sub(2, `${message} extensions`, limits.min ?? 0, 0xffff);
  const out: RawExtension[] = [];
  // Every ClientHello passes here on the accept path: no label string or Set per hello (a Set only
  // for long lists — a hostile one can hold 16k extensions, too many to scan for each).
  let seen: Set<number> | undefined;
  while (!list.atEnd) {
    const offset = listStart + list.position;
    const type = list.u16();
    const length = list.u16();
    if (length > list.remaining) throw new TlsError('truncated', `extension ${type}: need ${length} byte(s), have ${list.remaining}`);
    const data = list.bytesN(length);
    // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given extension block."
    if (out.length === SCAN_LIMIT) seen = new Set(out.map((e) => e.type));
    if (seen ? seen.has(type) : out.some((e) => e.type === type)) throw new TlsError('duplicate_extension', `${message}: extension ${type} appears twice`);
    seen?.add(type);
    checkExtensionAllowed(message, type);
    out.push({ type, data, offset });
  }
  // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
  if (message === 'client_hello') {
    const pskIndex = out.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (pskIndex !== -1 && pskIndex !== out.length - 1) {
      throw new TlsError('illegal_parameter', 'client_hello: pre_shared_key is not the last extension (RFC 8446 §4.2.11)');
    }
  }
  return out;
}

/** Writes an extension list; `extensions` are written in the given order. */
export function writeExtensionList(w: Writer, extensions: ReadonlyArray<{ type: number; data: Uint8Array }>): void {
  w.vector(2, (v) => {
    for (const e of extensions) {
      v.u16(e.type);
      v.vector(2, (d) => d.bytes(e.data));
    }
  });
}

export function findExtension(extensions: readonly RawExtension[], type: number): RawExtension | undefined {
  for (const e of extensions) if (e.type === type) return e;
  return undefined;
}
