// Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) into its data and trailer fields, for
// responses an HTTP/1.1 origin sends to an HTTP/2 client (h2 DATA frames carry the content, never
// the chunk framing). The HTTP/1.1 framer's own parser: the same malformations are refused.
import { ChunkedScanner } from '../h1/chunked.js';

export class ChunkedDecoder {
  private readonly scanner = new ChunkedScanner();

  constructor(private readonly maxTrailerBytes = 16_384) {}

  reset(): void {
    // chunk extensions are checked and dropped: h2 has no place for them
    this.scanner.reset(502, this.maxTrailerBytes, true);
  }

  get done(): boolean {
    return this.scanner.done;
  }

  /** Trailer fields, names lowercased, in order. */
  get trailers(): Array<[string, string]> {
    return this.scanner.trailers;
  }

  /**
   * Decodes `buf[start, end)`, passing each run of content to `onData` (a view into `buf`).
   * Returns the index one past the body's end when it ends in this range, else -1.
   * Throws HttpError (status 502: it is an origin's response) on malformed framing.
   */
  decode(buf: Buffer, start: number, end: number, onData: (data: Buffer) => void): number {
    return this.scanner.scan(buf, start, end, onData);
  }
}
