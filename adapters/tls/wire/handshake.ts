// Handshake message framing (RFC 8446 §4): msg_type (1 byte), length (uint24), body. A message is
// always kept whole (header included) because the transcript hashes exactly these bytes.
import { TlsError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export const HANDSHAKE_HEADER_LENGTH = 4;

export interface HandshakeFrame {
  readonly type: number;
  /** The body, a view into the message (do not mutate). */
  readonly body: Uint8Array;
}

/** Splits one complete handshake message; its length must match the bytes exactly. */
export function readHandshakeFrame(message: Uint8Array, expectedType?: number): HandshakeFrame {
  const r = new Reader(message);
  const type = r.u8();
  if (expectedType !== undefined && type !== expectedType) {
    throw new TlsError('unexpected_message', `expected handshake type ${expectedType}, got ${type}`);
  }
  const length = r.u24();
  if (length > r.remaining) throw new TlsError('truncated', `handshake ${type}: length ${length} but ${r.remaining} byte(s) present`);
  const body = r.bytesN(length, 'handshake body');
  r.expectEnd(`handshake ${type}`);
  return { type, body };
}

/** Frames `body` as a handshake message of `type`. */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  if (body.length > 0xffffff) throw new TlsError('internal_error', `handshake body of ${body.length} bytes`);
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/** Writes a handshake message whose body `write` produces, without an intermediate copy of the body. */
export function buildHandshake(type: number, write: (w: Writer) => void, capacity = 256): Uint8Array {
  const w = new Writer(capacity);
  w.u8(type).vector(3, write);
  return w.finish();
}
