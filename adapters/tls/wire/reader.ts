// Bounded reader for TLS presentation-language structures (RFC 8446 §3). Every length is checked
// before slicing; a short buffer is a `truncated` TlsError, never a RangeError.
import { TlsError } from './errors.js';

export class Reader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  get atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  u8(): number {
    this.need(1, 'uint8');
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    this.need(2, 'uint16');
    const b = this.bytes;
    const v = (b[this.offset]! << 8) | b[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u24(): number {
    this.need(3, 'uint24');
    const b = this.bytes;
    const v = (b[this.offset]! << 16) | (b[this.offset + 1]! << 8) | b[this.offset + 2]!;
    this.offset += 3;
    return v;
  }

  u32(): number {
    this.need(4, 'uint32');
    const b = this.bytes;
    const v = ((b[this.offset]! << 24) >>> 0) + ((b[this.offset + 1]! << 16) | (b[this.offset + 2]! << 8) | b[this.offset + 3]!);
    this.offset += 4;
    return v;
  }

  /** `n` raw bytes, as a view into the underlying buffer (do not mutate). */
  bytesN(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A vector with a `lengthBytes`-byte length prefix; `min`/`max` are the RFC's bounds in bytes. */
  vector(lengthBytes: 1 | 2 | 3, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const len = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    if (len < min || len > max) {
      throw new TlsError('length_out_of_range', `${what}: length ${len} outside ${min}..${max}`);
    }
    return this.bytesN(len, what);
  }

  /** A sub-reader over a length-prefixed vector; the caller must consume it entirely. */
  sub(lengthBytes: 1 | 2 | 3, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): Reader {
    return new Reader(this.vector(lengthBytes, what, min, max));
  }

  rest(): Uint8Array {
    return this.bytesN(this.remaining);
  }

  /** Trailing bytes after a complete structure are a decode_error (RFC 8446 §6.2). */
  expectEnd(what: string): void {
    if (!this.atEnd) throw new TlsError('trailing_bytes', `${what}: ${this.remaining} trailing byte(s)`);
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.bytes.length) {
      throw new TlsError('truncated', `${what}: need ${n} byte(s), have ${this.remaining}`);
    }
  }
}
