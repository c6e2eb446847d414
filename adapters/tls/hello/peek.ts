// Incremental ClientHello peek parser for the first bytes of a raw TCP connection (RFC 8446 §5.1,
// §4.1.2): reassembles the hello across TCP segments and handshake records, bounded in size, and
// hands back every byte it was fed so the listener can unshift them for the TLS engine.
import { ContentType, HandshakeType } from '../wire/enums.js';
import { TlsError, isTlsError } from '../wire/errors.js';
import { decodeClientHello, type ClientHello } from '../wire/client-hello.js';
import { helloFacts, type HelloFacts } from './facts.js';

export const DEFAULT_MAX_HELLO_BYTES = 16 * 1024;
/** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT_RECORD = 1 << 14;
const RECORD_HEADER = 5;
const EMPTY = new Uint8Array(0);
const HANDSHAKE_HEADER = 4;

export interface PeekOptions {
  /** Cap on the bytes (record headers included) the hello may take; default 16 KiB. */
  maxBytes?: number;
}

export type PeekResult =
  | { readonly status: 'need_more' }
  | {
      readonly status: 'complete';
      readonly hello: ClientHello;
      /** Every byte fed so far, in order: the hello's records and anything that came after them. */
      readonly consumed: Uint8Array;
      /** How many leading bytes of `consumed` are the hello's records. */
      readonly helloBytes: number;
      readonly facts: HelloFacts;
    }
  | { readonly status: 'failed'; readonly error: TlsError; readonly consumed: Uint8Array };

/**
 * Feed chunks as they arrive; each call answers for everything fed so far. Work is proportional
 * to the bytes fed (no re-parsing), so a client dribbling one byte per segment costs nothing extra.
 * After `complete` or `failed` the parser is done; further feeds only append to `consumed`.
 *
 * The usual hello arrives whole in the first segment: then nothing is copied (`consumed` and the
 * hello's `raw` are views of that chunk), so a fed chunk must not be modified afterwards. Copies
 * start only when a second chunk arrives — each off-heap buffer costs microseconds per connection.
 */
export class ClientHelloPeeker {
  private readonly maxBytes: number;
  private buf: Uint8Array = EMPTY;
  /** False while `buf` is the caller's first chunk (read only: appending copies it first). */
  private owned = false;
  private length = 0;
  /** Start of the next record header not yet taken apart. */
  private pos = 0;
  private records = 0;
  private header: Uint8Array | undefined;
  private headerFilled = 0;
  private message: Uint8Array | undefined;
  private filled = 0;
  private done: PeekResult | undefined;

  constructor(options: PeekOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_HELLO_BYTES;
  }

  /** Bytes fed so far. */
  get bytesSeen(): number {
    return this.length;
  }

  feed(chunk: Uint8Array): PeekResult {
    this.append(chunk);
    if (this.done) {
      return { ...this.done, consumed: this.consumed() } as PeekResult;
    }
    try {
      const complete = this.parse();
      if (!complete) return { status: 'need_more' };
      this.done = {
        status: 'complete',
        hello: complete,
        consumed: this.consumed(),
        helloBytes: this.pos,
        facts: helloFacts(complete, this.records),
      };
    } catch (err) {
      const error = isTlsError(err) ? err : new TlsError('internal_error', 'peek parser failed unexpectedly', { cause: err });
      this.done = { status: 'failed', error, consumed: this.consumed() };
    }
    return this.done;
  }

  /** Every byte fed so far: a view of the first chunk while it is the only one, else a copy. */
  private consumed(): Uint8Array {
    return this.owned ? this.buf.slice(0, this.length) : this.buf.subarray(0, this.length);
  }

  private parse(): ClientHello | undefined {
    if (this.pos === 0) {
      checkFirstBytes(this.buf.subarray(0, this.length));
      if (this.length < 3 && this.buf[0]! & 0x80) return undefined; // SSLv2 hello or garbage: not yet known
    }
    for (;;) {
      const available = this.length - this.pos;
      if (available < RECORD_HEADER) {
        checkRecordHeaderPrefix(this.buf.subarray(this.pos, this.length), this.pos === 0);
        checkBudget(this.pos + RECORD_HEADER, this.maxBytes);
        return undefined;
      }
      const b = this.buf;
      const p = this.pos;
      checkRecordHeaderPrefix(b.subarray(p, p + 3), p === 0);
      const recordLength = (b[p + 3]! << 8) | b[p + 4]!;
      if (recordLength > MAX_PLAINTEXT_RECORD) throw new TlsError('record_overflow', `handshake record of ${recordLength} bytes exceeds 2^14`);
      // RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types."
      if (recordLength === 0) throw new TlsError('unexpected_message', 'zero-length handshake record');
      checkBudget(p + RECORD_HEADER + recordLength, this.maxBytes);
      const fragmentStart = p + RECORD_HEADER;
      const present = Math.min(recordLength, this.length - fragmentStart);
      if (present < recordLength) {
        // Look at the message header early: a non-hello or oversize message fails now, not at the cap.
        this.peekHeader(b.subarray(fragmentStart, fragmentStart + present));
        return undefined;
      }
      this.pos = fragmentStart + recordLength;
      this.records++;
      const hello = this.absorb(b.subarray(fragmentStart, this.pos));
      if (hello) return hello;
    }
  }

  /** Adds one whole record's fragment to the handshake message being assembled. */
  private absorb(fragment: Uint8Array): ClientHello | undefined {
    let i = 0;
    while (i < fragment.length) {
      if (this.message === undefined) {
        const whole = this.headerFilled === 0 ? wholeMessage(fragment, i, this.maxBytes) : undefined;
        if (whole) {
          // The whole message in this fragment (the usual case): decode it in place.
          if (i + whole.length !== fragment.length) throw new TlsError('unexpected_message', 'handshake data after the ClientHello in the same record');
          return decodeClientHello(whole);
        }
        const take = Math.min(HANDSHAKE_HEADER - this.headerFilled, fragment.length - i);
        this.header ??= new Uint8Array(HANDSHAKE_HEADER);
        this.header.set(fragment.subarray(i, i + take), this.headerFilled);
        this.headerFilled += take;
        i += take;
        if (this.headerFilled < HANDSHAKE_HEADER) return undefined;
        this.message = startMessage(this.header, this.maxBytes);
        this.filled = HANDSHAKE_HEADER;
      }
      const take = Math.min(this.message.length - this.filled, fragment.length - i);
      this.message.set(fragment.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      if (this.filled === this.message.length) {
        // The ClientHello is the only handshake message a client sends before the server answers.
        if (i !== fragment.length) throw new TlsError('unexpected_message', 'handshake data after the ClientHello in the same record');
        return decodeClientHello(this.message);
      }
    }
    return undefined;
  }

  private peekHeader(partial: Uint8Array): void {
    if (this.message !== undefined) return;
    const h = new Uint8Array(HANDSHAKE_HEADER);
    if (this.header) h.set(this.header.subarray(0, this.headerFilled), 0);
    const take = Math.min(HANDSHAKE_HEADER - this.headerFilled, partial.length);
    h.set(partial.subarray(0, take), this.headerFilled);
    const have = this.headerFilled + take;
    if (have >= 1 && h[0] !== HandshakeType.client_hello) {
      throw new TlsError('unexpected_message', `first handshake message is type ${h[0]}, not client_hello`);
    }
    if (have === HANDSHAKE_HEADER) startMessage(h, this.maxBytes);
  }

  private append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.length === 0) {
      this.buf = chunk; // borrowed, not copied: most hellos never need a second chunk
      this.owned = false;
      this.length = chunk.length;
      return;
    }
    if (!this.owned || this.length + chunk.length > this.buf.length) {
      let cap = Math.max(1024, this.buf.length);
      while (cap < this.length + chunk.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.owned = true;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }
}

/** One-shot form: the answer for `bytes` as if fed in one chunk. */
export function peekClientHello(bytes: Uint8Array, options?: PeekOptions): PeekResult {
  return new ClientHelloPeeker(options).feed(bytes);
}

/**
 * The handshake message starting at `at`, as a view, when its header and body are all there;
 * checked like `startMessage`. Undefined when the fragment holds only part of it.
 */
function wholeMessage(fragment: Uint8Array, at: number, maxBytes: number): Uint8Array | undefined {
  if (fragment.length - at < HANDSHAKE_HEADER) return undefined;
  const length = (fragment[at + 1]! << 16) | (fragment[at + 2]! << 8) | fragment[at + 3]!;
  if (fragment.length - at < HANDSHAKE_HEADER + length) return undefined;
  checkMessageHeader(fragment[at]!, length, maxBytes);
  return fragment.subarray(at, at + HANDSHAKE_HEADER + length);
}

function checkMessageHeader(type: number, length: number, maxBytes: number): void {
  if (type !== HandshakeType.client_hello) {
    throw new TlsError('unexpected_message', `first handshake message is type ${type}, not client_hello`);
  }
  if (length + HANDSHAKE_HEADER > maxBytes) throw new TlsError('too_large', `ClientHello of ${length} bytes exceeds the ${maxBytes}-byte cap`);
}

function startMessage(header: Uint8Array, maxBytes: number): Uint8Array {
  const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
  checkMessageHeader(header[0]!, length, maxBytes);
  const message = new Uint8Array(length + HANDSHAKE_HEADER);
  message.set(header, 0);
  return message;
}

function checkFirstBytes(bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  const b0 = bytes[0]!;
  // SSLv2-compatible hello (RFC 5246 §E.2): a 2-byte length with the high bit set, then msg_type 1.
  if (b0 & 0x80) {
    if (bytes.length < 3) return; // cannot yet tell an SSLv2 hello from garbage
    if (bytes[2] === 1) throw new TlsError('sslv2_hello', 'SSLv2-compatible ClientHello refused (a TLS record layer is required)');
  }
  if (b0 !== ContentType.handshake) throw new TlsError('not_tls', `first byte 0x${b0.toString(16).padStart(2, '0')} is not a TLS handshake record`);
}

/** Checks whatever part (type, version) of a record header is already present. */
function checkRecordHeaderPrefix(prefix: Uint8Array, first: boolean): void {
  if (prefix.length >= 1 && prefix[0] !== ContentType.handshake) {
    // RFC 8446 §5.1: no other content type may be interleaved with a fragmented handshake message.
    throw new TlsError(first ? 'not_tls' : 'unexpected_message', `record of content type ${prefix[0]} before the ClientHello was complete`);
  }
  if (prefix.length >= 3) checkRecordVersion(prefix[1]!, prefix[2]!);
  else if (prefix.length === 2 && prefix[1] !== 3) checkRecordVersion(prefix[1]!, 1);
}

/** RFC 8446 §5.1 / Appendix D: an initial ClientHello's legacy_record_version is 0x0301..0x0303. */
function checkRecordVersion(major: number, minor: number): void {
  if (major !== 3) throw new TlsError('not_tls', `record version ${major}.${minor} is not TLS`);
  if (minor === 0) throw new TlsError('protocol_version', 'SSL 3.0 record version refused');
  if (minor > 3) throw new TlsError('not_tls', `unknown record version 3.${minor}`);
}

function checkBudget(needed: number, maxBytes: number): void {
  if (needed > maxBytes) throw new TlsError('too_large', `ClientHello records exceed the ${maxBytes}-byte cap`);
}
