// Record deframer (RFC 8446 §5.1): splits the byte stream from the peer into TLSPlaintext /
// TLSCiphertext records, checking content type and length before anything is buffered for them.
import { ContentType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';

export const RECORD_HEADER_LENGTH = 5;
/** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT = 1 << 14;
/** RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
export const MAX_CIPHERTEXT = (1 << 14) + 256;

export interface TlsRecord {
  readonly type: number;
  /** The 5-byte header: the AEAD's additional data for protected records (§5.2). */
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

export class RecordDeframer {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;

  /**
   * @param maxBacklog cap on bytes left unprocessed after the engine has taken what it can
   * (records arriving while it waits for a signature or a session lookup).
   */
  constructor(private readonly maxBacklog = 4 * (MAX_CIPHERTEXT + RECORD_HEADER_LENGTH)) {
    this.buf = new Uint8Array(0);
  }

  get buffered(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.end + bytes.length > this.buf.length) {
      const live = this.buffered;
      // Compact, and grow only when the live bytes themselves need it.
      const next = live + bytes.length > this.buf.length ? new Uint8Array(Math.max(2 * this.buf.length, live + bytes.length, 4096)) : this.buf;
      if (next === this.buf) this.buf.copyWithin(0, this.start, this.end);
      else next.set(this.buf.subarray(this.start, this.end), 0);
      this.buf = next;
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Called after processing: a peer that keeps sending while the engine is paused is cut off. */
  checkBacklog(): void {
    if (this.buffered > this.maxBacklog) {
      throw new TlsError('too_large', `more than ${this.maxBacklog} unprocessed bytes from the peer`);
    }
  }

  /** The next complete record, or undefined if more bytes are needed. Its bytes are a copy. */
  next(): TlsRecord | undefined {
    if (this.buffered < RECORD_HEADER_LENGTH) {
      this.checkPartialHeader();
      return undefined;
    }
    const b = this.buf;
    const s = this.start;
    const type = b[s]!;
    checkType(type);
    checkVersion(b[s + 1]!);
    const length = (b[s + 3]! << 8) | b[s + 4]!;
    if (length > MAX_CIPHERTEXT) throw new TlsError('record_overflow', `record of ${length} bytes exceeds 2^14 + 256`);
    if (this.buffered < RECORD_HEADER_LENGTH + length) return undefined;
    const record = b.slice(s, s + RECORD_HEADER_LENGTH + length);
    this.start += RECORD_HEADER_LENGTH + length;
    if (this.start === this.end) this.start = this.end = 0;
    return { type, header: record.subarray(0, RECORD_HEADER_LENGTH), fragment: record.subarray(RECORD_HEADER_LENGTH) };
  }

  /** Fail on a bad header as soon as its first bytes are here (garbage never waits for more). */
  private checkPartialHeader(): void {
    if (this.buffered >= 1) checkType(this.buf[this.start]!);
    if (this.buffered >= 2) checkVersion(this.buf[this.start + 1]!);
  }
}

function checkType(type: number): void {
  // RFC 8446 §5: an unexpected record type is an unexpected_message (heartbeat is not supported).
  if (type !== ContentType.handshake && type !== ContentType.application_data && type !== ContentType.alert && type !== ContentType.change_cipher_spec) {
    throw new TlsError('unexpected_message', `record content type ${type}`);
  }
}

function checkVersion(major: number): void {
  // legacy_record_version is otherwise ignored (§5.1), but a major version other than 3 is not TLS.
  if (major !== 3) throw new TlsError('decode_error', `record version major ${major}`);
}
