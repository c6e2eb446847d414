// Finds where a message body ends without changing its bytes (RFC 9112 §6–§7): by length, by
// chunked framing (chunk sizes, extensions and trailers are checked, then forwarded as they came),
// or at connection close. One instance per connection direction, reset per message.
import { ChunkedScanner } from './chunked.js';
import { syntaxStatus, type Side } from './errors.js';

export type Framing = 'none' | 'length' | 'chunked' | 'close';

export class BodyFramer {
  kind: Framing = 'none';
  /** Body bytes seen so far (framing included), for accounting. */
  bytes = 0;
  /** `length`: bytes left. */
  private left = 0;
  /** `length`/`close`/`none`: the body has ended. */
  private ended = true;
  private readonly chunked = new ChunkedScanner();

  /** Starts a new message body. */
  reset(kind: Framing, contentLength: number, side: Side, maxTrailerBytes = 16_384): void {
    this.kind = kind;
    this.bytes = 0;
    this.left = kind === 'length' ? contentLength : 0;
    this.ended = kind === 'none' || (kind === 'length' && contentLength === 0);
    if (kind === 'chunked') this.chunked.reset(syntaxStatus(side), maxTrailerBytes, false);
  }

  /** `length`: bytes left; `chunked`: bytes left in the current chunk. */
  get remaining(): number {
    return this.kind === 'chunked' ? this.chunked.remaining : this.left;
  }

  /** The body has ended (its last byte was scanned, or it had none). */
  get done(): boolean {
    return this.kind === 'chunked' ? this.chunked.done : this.ended;
  }

  /**
   * Scans body bytes `buf[start, end)`. Returns the index one past the body's last byte when the
   * body ends inside this range (bytes after it belong to the next message), or -1 when all of it
   * is body and more is expected. Throws HttpError on malformed chunked framing.
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    switch (this.kind) {
      case 'length': {
        if (this.ended) return start;
        const n = Math.min(this.left, end - start);
        this.left -= n;
        this.bytes += n;
        if (this.left > 0) return -1;
        this.ended = true;
        return start + n;
      }
      case 'close':
        if (this.ended) return start;
        this.bytes += end - start;
        return -1;
      case 'chunked': {
        const at = this.chunked.scan(buf, start, end);
        this.bytes += (at === -1 ? end : at) - start;
        return at;
      }
      default:
        return start;
    }
  }

  /** A close-delimited body ends when the connection does (RFC 9112 §6.3 ¶8). */
  endOfInput(): boolean {
    if (this.kind === 'close') this.ended = true;
    return this.done;
  }
}
