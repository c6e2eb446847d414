// The chunked transfer coding (RFC 9112 §7.1) checked byte by byte as it arrives, under any split:
// chunk sizes, extensions (checked, never interpreted) and the trailer section. The one parser
// behind the HTTP/1.1 body framer (bytes forwarded as they came) and the h2 decoder (content only).
import { CHUNK_EXT, COLON, CR, FIELD_VALUE, HEX, HTAB, LF, SP, TCHAR } from './chars.js';
import { HttpError } from './errors.js';

const SIZE_FIRST = 0; // expecting the first hex digit of a chunk-size
const SIZE = 1; // in chunk-size
const SIZE_WS = 2; // BWS after chunk-size: only a chunk-ext may follow
const EXT = 3; // in chunk-ext
const SIZE_LF = 4; // after the CR ending a chunk line
const DATA = 5;
const DATA_CR = 6; // chunk-data must be followed by CRLF
const DATA_LF = 7;
const TRAILER_START = 8; // start of a trailer field line, or the final CRLF
const TRAILER_NAME = 9; // before the first colon, all tchar so far
const TRAILER_BAD_NAME = 10; // before the first colon, a non-tchar byte seen (collected lines: refused at the line's end)
const TRAILER_VALUE = 11;
const TRAILER_LF = 12;
const FINAL_LF = 13;
const DONE = 14;
const FAILED = 15; // a framing error was thrown: the message cannot continue

/** Longest chunk line (size and extensions) accepted: extensions are a known DoS vector. */
export const MAX_CHUNK_LINE = 4096;
/** More hex digits than any size below 2^53 needs (leading zeros included). */
const MAX_SIZE_DIGITS = 16;
const MAX_SIZE_BEFORE_SHIFT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

// Why a trailer field line is refused. Bytes that are forwarded as they come are refused at the
// first one that cannot be in a field name, before it goes on; collected lines are checked when
// complete, so a bare CR or LF, a control byte or the size limit inside them is reported first.
const NO_COLON = 'malformed trailer field';
const BAD_NAME = 'malformed trailer field name';

type ChunkedErrorCode = 'bad_chunk_size' | 'bad_chunk_extension' | 'bad_chunk_terminator' | 'chunk_line_too_long' | 'bad_trailer' | 'trailer_too_large' | 'bare_cr' | 'bare_lf';

export class ChunkedScanner {
  /** Bytes left in the current chunk. */
  remaining = 0;
  /** Trailer fields (names lowercased, in order), when reset with `collectTrailers`. */
  trailers: Array<[string, string]> = [];
  private state = DONE;
  /** The status a framing error answers with: 400 for a client's body, 502 for an origin's. */
  private status = 502;
  private maxTrailerBytes = 16_384;
  private lineBytes = 0;
  private sizeDigits = 0;
  private trailerBytes = 0;
  /** Why the trailer line being read will be refused at its end, if it will. */
  private lineFault: string | undefined;
  /** The bytes of the trailer line being read; undefined when trailers are not collected. */
  private trailerLine: number[] | undefined;

  /** Starts a new chunked body. */
  reset(status: number, maxTrailerBytes: number, collectTrailers: boolean): void {
    this.state = SIZE_FIRST;
    this.status = status;
    this.maxTrailerBytes = maxTrailerBytes;
    this.remaining = 0;
    this.sizeDigits = 0;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.lineFault = undefined;
    if (collectTrailers) {
      this.trailerLine = [];
      this.trailers = [];
    } else this.trailerLine = undefined;
  }

  /** The body has ended (the CRLF after its trailer section was scanned). */
  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Scans `buf[start, end)`, passing each run of chunk content to `onData` (a view into `buf`) when
   * given. Returns the index one past the body's last byte when it ends inside this range (bytes
   * after it belong to the next message), else -1. Throws HttpError on malformed framing.
   */
  scan<B extends Uint8Array>(buf: B, start: number, end: number, onData?: (data: B) => void): number {
    if (this.state === DONE) return start;
    if (this.state === FAILED) throw new HttpError('bad_chunk_size', this.status, 'body framing already failed');
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === DATA) {
        const n = Math.min(this.remaining, end - i);
        if (onData !== undefined) onData(buf.subarray(i, i + n) as B);
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
          else if (TCHAR[b] === 1) {
            if (this.trailerLine !== undefined) this.trailerLine = [b];
            this.lineFault = NO_COLON;
            state = TRAILER_NAME;
          } else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer section');
          else throw this.fail('bad_trailer', b === SP || b === HTAB ? 'obsolete line folding in trailer' : 'malformed trailer field');
          break;
        case TRAILER_NAME:
        case TRAILER_BAD_NAME:
        case TRAILER_VALUE:
          this.countTrailer();
          if (state === TRAILER_NAME && this.trailerLine === undefined && b !== COLON && TCHAR[b] !== 1) throw this.fail('bad_trailer', BAD_NAME);
          if (b === CR) state = TRAILER_LF;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer field');
          else if (FIELD_VALUE[b] !== 1) throw this.fail('bad_trailer', 'control byte in trailer field');
          else {
            if (state !== TRAILER_VALUE) {
              if (b === COLON) {
                this.lineFault = state === TRAILER_NAME ? undefined : BAD_NAME;
                state = TRAILER_VALUE;
              } else if (TCHAR[b] !== 1) state = TRAILER_BAD_NAME;
            }
            this.trailerLine?.push(b);
          }
          break;
        case TRAILER_LF:
          this.countTrailer();
          if (b !== LF) throw this.fail('bare_cr', 'bare CR in trailer field');
          if (this.lineFault !== undefined) throw this.fail('bad_trailer', this.lineFault);
          if (this.trailerLine !== undefined) this.addTrailer(this.trailerLine);
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

  /** Keeps a checked trailer field line as a (lowercased name, trimmed value) pair. */
  private addTrailer(bytes: number[]): void {
    const line = Buffer.from(bytes).toString('latin1');
    const colon = line.indexOf(':');
    this.trailers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }

  private countTrailer(): void {
    if (++this.trailerBytes > this.maxTrailerBytes) throw this.fail('trailer_too_large', 'trailer section too large');
  }

  private fail(code: ChunkedErrorCode, message: string): HttpError {
    this.state = FAILED;
    return new HttpError(code, this.status, message);
  }
}
