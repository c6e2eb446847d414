// Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) into its data and trailer fields, for
// responses an HTTP/1.1 origin sends to an HTTP/2 client (h2 DATA frames carry the content, never
// the chunk framing). As strict as the HTTP/1.1 framer: the same malformations are refused.
import { CHUNK_EXT, CR, FIELD_VALUE, HEX, HTAB, LF, SP, TCHAR } from '../h1/chars.js';
import { HttpError } from '../h1/errors.js';
import { MAX_CHUNK_LINE } from '../h1/body-framer.js';

const SIZE_FIRST = 0;
const SIZE = 1;
const SIZE_WS = 2;
const EXT = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER_START = 8;
const TRAILER_LINE = 9;
const TRAILER_LF = 10;
const FINAL_LF = 11;
const DONE = 12;
const FAILED = 13;

const MAX_SIZE_DIGITS = 16;
const MAX_SIZE_BEFORE_SHIFT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

export class ChunkedDecoder {
  private state = DONE;
  private remaining = 0;
  private digits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  private trailerLine: number[] = [];
  /** Trailer fields, names lowercased, in order. */
  trailers: Array<[string, string]> = [];

  constructor(private readonly maxTrailerBytes = 16_384) {}

  reset(): void {
    this.state = SIZE_FIRST;
    this.remaining = 0;
    this.digits = 0;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.trailerLine = [];
    this.trailers = [];
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Decodes `buf[start, end)`, passing each run of content to `onData` (a view into `buf`).
   * Returns the index one past the body's end when it ends in this range, else -1.
   * Throws HttpError (status 502: it is an origin's response) on malformed framing.
   */
  decode(buf: Buffer, start: number, end: number, onData: (data: Buffer) => void): number {
    if (this.state === DONE) return start;
    if (this.state === FAILED) throw new HttpError('bad_chunk_size', 502, 'body framing already failed');
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === DATA) {
        const n = Math.min(this.remaining, end - i);
        onData(buf.subarray(i, i + n));
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
          this.digits = 1;
          this.lineBytes = 1;
          state = SIZE;
          break;
        }
        case SIZE: {
          const h = HEX[b]!;
          this.lineBytes++;
          if (h !== 255) {
            if (++this.digits > MAX_SIZE_DIGITS || this.remaining > MAX_SIZE_BEFORE_SHIFT) throw this.fail('bad_chunk_size', 'chunk size too large');
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
          // chunk extensions are checked and dropped: h2 has no place for them
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
            this.trailerLine = [b];
            state = TRAILER_LINE;
          } else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer section');
          else throw this.fail('bad_trailer', b === SP || b === HTAB ? 'obsolete line folding in trailer' : 'malformed trailer field');
          break;
        case TRAILER_LINE:
          this.countTrailer();
          if (b === CR) state = TRAILER_LF;
          else if (b === LF) throw this.fail('bare_lf', 'bare LF in trailer field');
          else if (FIELD_VALUE[b] !== 1) throw this.fail('bad_trailer', 'control byte in trailer field');
          else this.trailerLine.push(b);
          break;
        case TRAILER_LF:
          this.countTrailer();
          if (b !== LF) throw this.fail('bare_cr', 'bare CR in trailer field');
          this.addTrailer();
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

  private addTrailer(): void {
    const line = Buffer.from(this.trailerLine).toString('latin1');
    const colon = line.indexOf(':');
    if (colon <= 0) throw this.fail('bad_trailer', 'malformed trailer field');
    const name = line.slice(0, colon);
    for (let j = 0; j < name.length; j++) if (TCHAR[name.charCodeAt(j)] !== 1) throw this.fail('bad_trailer', 'malformed trailer field name');
    this.trailers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }

  private countTrailer(): void {
    if (++this.trailerBytes > this.maxTrailerBytes) throw this.fail('trailer_too_large', 'trailer section too large');
  }

  private fail(code: 'bad_chunk_size' | 'bad_chunk_extension' | 'bad_chunk_terminator' | 'chunk_line_too_long' | 'bad_trailer' | 'trailer_too_large' | 'bare_cr' | 'bare_lf', message: string): HttpError {
    this.state = FAILED;
    return new HttpError(code, 502, message);
  }
}
