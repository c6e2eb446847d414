// Handshake message joiner (RFC 8446 §5.1): handshake messages may span records and records may
// hold several messages; a key change is only legal on a message boundary with nothing left over.
import { TlsError } from '../../wire/errors.js';

export class HandshakeJoiner {
  private buf: Uint8Array = new Uint8Array(0);

  /** @param maxMessage largest handshake message accepted (header included). */
  constructor(private readonly maxMessage = 64 * 1024) {}

  /** True when no partial or pending message is buffered (a key change may happen now). */
  get isEmpty(): boolean {
    return this.buf.length === 0;
  }

  push(fragment: Uint8Array): void {
    // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types."
    if (fragment.length === 0) throw new TlsError('unexpected_message', 'zero-length handshake fragment');
    if (this.buf.length === 0) {
      this.buf = fragment;
    } else {
      const next = new Uint8Array(this.buf.length + fragment.length);
      next.set(this.buf, 0);
      next.set(fragment, this.buf.length);
      this.buf = next;
    }
    if (this.buf.length >= 4) {
      const length = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
      if (length + 4 > this.maxMessage) {
        throw new TlsError('too_large', `handshake message of ${length} bytes exceeds ${this.maxMessage}`, { alert: 47 });
      }
    }
  }

  /** The next whole handshake message (header included), or undefined. */
  next(): Uint8Array | undefined {
    if (this.buf.length < 4) return undefined;
    const length = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
    if (length + 4 > this.maxMessage) {
      throw new TlsError('too_large', `handshake message of ${length} bytes exceeds ${this.maxMessage}`, { alert: 47 });
    }
    if (this.buf.length < length + 4) return undefined;
    const message = this.buf.subarray(0, length + 4);
    this.buf = this.buf.subarray(length + 4);
    return message;
  }

  /** RFC 8446 §5.1: a message preceding a key change must end its record. */
  requireBoundary(what: string): void {
    if (!this.isEmpty) throw new TlsError('unexpected_message', `handshake data follows ${what} across a key change`);
  }
}
