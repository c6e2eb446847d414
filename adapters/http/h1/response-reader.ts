// Response heads read from an origin connection as its bytes arrive (RFC 9112 §4): a partial head
// is kept and its scan resumes where the last one stopped; the bytes behind a head are the body's.
import { PendingBytes } from './pending.js';
import { parseResponseHead, type ResponseContext, type ResponseHead } from './response-head.js';

export class ResponseHeadReader {
  private readonly pending = new PendingBytes();
  /** Where the search for the end of the head resumes (the bytes before it had none). */
  private scanFrom = 0;
  /** Reused per head: reading allocates nothing of its own. */
  private readonly ctx: ResponseContext;

  constructor(maxHeadBytes: number) {
    this.ctx = { headRequest: false, maxHeadBytes };
  }

  append(chunk: Buffer): void {
    this.pending.append(chunk);
  }

  /**
   * The next complete head (its bytes consumed), or undefined until more bytes arrive.
   * `headRequest`: it answers a HEAD request. Throws HttpError (502) on a malformed head.
   */
  next(headRequest: boolean): ResponseHead | undefined {
    const data = this.pending.view();
    this.ctx.headRequest = headRequest;
    const res = parseResponseHead(data, this.ctx, this.scanFrom);
    if (!res) {
      this.scanFrom = data.length;
      return undefined;
    }
    this.scanFrom = 0;
    this.pending.consume(res.end);
    return res;
  }

  /** Removes and returns the bytes read past the last head (the start of its body). */
  take(): Buffer {
    return this.pending.take();
  }

  /** Forgets everything read (a new exchange on this connection, or none). */
  clear(): void {
    this.pending.clear();
    this.scanFrom = 0;
  }
}
