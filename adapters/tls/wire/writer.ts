// Growable writer for TLS structures, with length-prefixed vectors whose lengths are patched in
// when the vector closes (RFC 8446 §3).
import { TlsError } from './errors.js';

/**
 * Work buffers of finished writers, reused by the next ones: a handshake builds ~20 messages and
 * extensions, and each fresh buffer is an ArrayBuffer the collector has to track and sweep.
 * `finish()` copies the result out, so a buffer is free again as soon as its writer finished.
 */
const spare: Uint8Array[] = [];
const MAX_SPARE = 16;
const MAX_SPARE_BYTES = 64 * 1024;

function takeBuffer(capacity: number): Uint8Array {
  const last = spare[spare.length - 1];
  if (last && last.length >= capacity) return spare.pop()!;
  return new Uint8Array(Math.max(capacity, 256));
}

const FINISHED = new Uint8Array(0);

export class Writer {
  private buf: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buf = takeBuffer(initialCapacity);
  }

  get size(): number {
    return this.length;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.length++] = (v >>> 24) & 0xff;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Writes a vector with a `lengthBytes`-byte length prefix around whatever `body` writes. */
  vector(lengthBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const start = this.length;
    this.reserve(lengthBytes);
    this.length += lengthBytes;
    body(this);
    const len = this.length - start - lengthBytes;
    const max = lengthBytes === 1 ? 0xff : lengthBytes === 2 ? 0xffff : 0xffffff;
    if (len > max) throw new TlsError('internal_error', `vector of ${len} bytes exceeds its ${lengthBytes}-byte length prefix`);
    for (let i = 0; i < lengthBytes; i++) {
      this.buf[start + i] = (len >>> (8 * (lengthBytes - 1 - i))) & 0xff;
    }
    return this;
  }

  /** The bytes written (a copy, safe to keep). Ends the writer: its buffer goes to the next one. */
  finish(): Uint8Array {
    if (this.buf === FINISHED) throw new Error('Writer.finish() called twice');
    const out = this.buf.slice(0, this.length);
    if (spare.length < MAX_SPARE && this.buf.length <= MAX_SPARE_BYTES) spare.push(this.buf);
    this.buf = FINISHED;
    this.length = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    if (this.buf === FINISHED) throw new Error('Writer used after finish()');
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}
