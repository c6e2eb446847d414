// Finds where a message body ends without changing its bytes (RFC 9112 §6–§7): by length, by
// chunked framing (chunk sizes, extensions and trailers are checked, then forwarded as they came),
// or at connection close. One instance per connection direction, reset per message.
import { CHUNK_EXT, COLON, CR, FIELD_VALUE, HEX, HTAB, LF, SP, TCHAR } from './chars.js';
import { HttpError, syntaxStatus, type Side } from './errors.js';

export type Framing = 'none' | 'length' | 'chunked' | 'close';

// chunked-body states (RFC 9112 §7.1)
const SIZE_FIRST = 0; // expecting the first hex digit of a chunk-size
const SIZE = 1; // in chunk-size
const SIZE_WS = 2; // BWS after chunk-size: only a chunk-ext may follow
const EXT = 3; // in chunk-ext
const SIZE_LF = 4; // after the CR ending a chunk line
const DATA = 5;
const DATA_CR = 6; // chunk-data must be followed by CRLF
const DATA_LF = 7;
const TRAILER_START = 8; // start of a trailer field line, or the final CRLF
const TRAILER_NAME = 9;
const TRAILER_VALUE = 10;
const TRAILER_LF = 11;
const FINAL_LF = 12;
const DONE = 13;
const FAILED = 14; // a framing error was thrown: the connection cannot continue

/** Longest chunk line (size and extensions) accepted: extensions are a known DoS vector. */
export const MAX_CHUNK_LINE = 4096;
/** More hex digits than any size below 2^53 needs (leading zeros included). */
const MAX_SIZE_DIGITS = 16;
const MAX_SIZE_BEFORE_SHIFT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

export class BodyFramer {
  kind: Framing = 'none';
  /** `length`: bytes left; `chunked`: bytes left in the current chunk. */
  remaining = 0;
  private state = DONE;
  private side: Side = 'request';
  private lineBytes = 0;
  private sizeDigits = 0;
  private trailerBytes = 0;
  private maxTrailerBytes = 16_384;
  /** Body bytes seen so far (framing included), for accounting. */
  bytes = 0;

  /** Starts a new message body. */
  reset(kind: Framing, contentLength: number, side: Side, maxTrailerBytes = 16_384): void {
    this.kind = kind;
    this.side = side;
    this.bytes = 0;
    this.maxTrailerBytes = maxTrailerBytes;
    this.remaining = kind === 'length' ? contentLength : 0;
    this.state = kind === 'chunked' ? SIZE_FIRST : kind === 'none' ? DONE : DATA;
    this.lineBytes = 0;
    this.sizeDigits = 0;
    this.trailerBytes = 0;
    if (kind === 'length' && contentLength === 0) this.state = DONE;
  }

  /** The body has ended (its last byte was scanned, or it had none). */
  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Scans body bytes `buf[start, end)`. Returns the index one past the body's last byte when the
   * body ends inside this range (bytes after it belong to the next message), or -1 when all of it
   * is body and more is expected. Throws HttpError on malformed chunked framing.
   */
  scan(buf: Uint8Array, start: number, end: number): number {
    if (this.state === DONE) return start;
    if (this.state === FAILED) throw new HttpError('bad_chunk_size', syntaxStatus(this.side), 'body framing already failed');
    switch (this.kind) {
      case 'length': {
        const n = Math.min(this.remaining, end - start);
        this.remaining -= n;
        this.bytes += n;
        if (this.remaining > 0) return -1;
        this.state = DONE;
        return start + n;
      }
      case 'close':
        this.bytes += end - start;
        return -1;
      case 'chunked': {
        const at = this.scanChunked(buf, start, end);
        this.bytes += (at === -1 ? end : at) - start;
        return at;
      }
      default:
        return start;
    }
  }

  /** A close-delimited body ends when the connection does (RFC 9112 §6.3 ¶8). */
  endOfInput(): boolean {
    if (this.kind === 'close') this.state = DONE;
    return this.state === DONE;
  }

  private scanChunked(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === DATA) {
        const n = Math.min(this.remaining, end - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) state = DATA_CR;
        continue;
      }
      const b = buf[i++]!;
      switch (state) {
        case SIZE_FIRST: {
          const h = HEX[b]!;
          if (h === 255) throw this.fail('bad_chunk_size', 'chunk size is not hex');
          this.remaining = h;
          this.sizeDigits = 1;
          this.lineBytes = 1;
          state = SIZE;
          break;
        }
        case SIZE: {
          const h = HEX[b]!;
          this.lineBytes++;
          if (h !== 255) {
            if (++this.sizeDigits > MAX_SIZE_DIGITS || this.remaining > MAX_SIZE_BEFORE_SHIFT) throw this.fail('bad_chunk_size', 'chunk size too large');
            this.remaining = this.remaining * 16 + h;
          } else if (b === CR) state = SIZE_LF;
          else if (b === 0x3b) state = EXT;
          else if (b === SP || b === HTAB) state = SIZE_WS;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF after chunk size');
          else throw this.fail('bad_chunk_size', 'chunk size is not hex');
          break;
        }
        case SIZE_WS:
          if (++this.lineBytes > MAX_CHUNK_LINE) throw this.fail('chunk_line_too_long', 'chunk line too long');
          if (b === 0x3b) state = EXT;
          else if (b !== SP && b !== HTAB) throw this.fail('bad_chunk_extension', 'whitespace after chunk size without an extension');
          break;
        case EXT:
          if (++this.lineBytes > MAX_CHUNK_LINE) throw this.fail('chunk_line_too_long', 'chunk line too long');
          if (b === CR) state = SIZE_LF;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF in chunk extension');
          else if (CHUNK_EXT[b] !== 1) throw this.fail('bad_chunk_extension', 'control byte in chunk extension');
          break;
        case SIZE_LF:
          if (b !== LF) throw this.fail('bare_cr', 'bare CR in chunk line');
          state = this.remaining === 0 ? TRAILER_START : DATA;
          break;
        case DATA_CR:
          if (b !== CR) throw this.fail('bad_chunk_terminator', 'chunk data not followed by CRLF');
          state = DATA_LF;
          break;
        case DATA_LF:
          if (b !== LF) throw this.fail('bad_chunk_terminator', 'chunk data not followed by CRLF');
          state = SIZE_FIRST;
          break;
        case TRAILER_START:
          this.countTrailer();
          if (b === CR) state = FINAL_LF;
          else if (TCHAR[b] === 1) state = TRAILER_NAME;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer section');
          else throw this.fail('bad_trailer', b === SP || b === HTAB ? 'obsolete line folding in trailer' : 'malformed trailer field');
          break;
        case TRAILER_NAME:
          this.countTrailer();
          if (b === COLON) state = TRAILER_VALUE;
          else if (TCHAR[b] !== 1) throw this.fail('bad_trailer', 'malformed trailer field name');
          break;
        case TRAILER_VALUE:
          this.countTrailer();
          if (b === CR) state = TRAILER_LF;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer field');
          else if (FIELD_VALUE[b] !== 1) throw this.fail('bad_trailer', 'control byte in trailer field');
          break;
        case TRAILER_LF:
          this.countTrailer();
          if (b !== LF) throw this.fail('bare_cr', 'bare CR in trailer field');
          state = TRAILER_START;
          break;
        case FINAL_LF:
          if (b !== LF) throw this.fail('bare_cr', 'bare CR after trailer section');
          this.state = DONE;
          return i;
        default:
          break;
      }
    }
    this.state = state;
    return -1;
  }

  private countTrailer(): void {
    if (++this.trailerBytes > this.maxTrailerBytes) throw this.fail('trailer_too_large', 'trailer section too large');
  }

  private fail(code: 'bad_chunk_size' | 'bad_chunk_extension' | 'bad_chunk_terminator' | 'chunk_line_too_long' | 'bad_trailer' | 'trailer_too_large' | 'bare_cr' | 'bare_lf', message: string): HttpError {
    this.state = FAILED;
    return new HttpError(code, syntaxStatus(this.side), message);
  }
}
