// AEAD record protection (RFC 8446 §5.2–§5.3): per-record nonce = iv XOR the 64-bit sequence
// number, additional data = the record header, TLSInnerPlaintext = content || type || zero padding.
import { ContentType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import type { Aead } from '../provider.js';
import { MAX_PLAINTEXT, RECORD_HEADER_LENGTH } from './deframer.js';

/** Sequence numbers are kept below 2^53 (exact in a JS number); the suites' key limits are far lower. */
const MAX_SEQUENCE = 2 ** 53 - 1;

function nonceFor(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = iv.slice();
  let s = seq;
  for (let i = nonce.length - 1; i >= nonce.length - 8 && s > 0; i--) {
    nonce[i]! ^= s % 256;
    s = Math.floor(s / 256);
  }
  return nonce;
}

/** The one-byte trailer of an unpadded TLSInnerPlaintext, per content type (read, never written). */
const trailers = new Map<number, Uint8Array>();
function typeTrailer(type: number): Uint8Array {
  let t = trailers.get(type);
  if (!t) trailers.set(type, (t = Uint8Array.of(type)));
  return t;
}

function innerTrailer(type: number, padding: number): Uint8Array {
  const t = new Uint8Array(1 + padding);
  t[0] = type;
  return t;
}

export class RecordProtector {
  private seq = 0;

  constructor(
    private readonly aead: Aead,
    private readonly iv: Uint8Array,
  ) {}

  /** Records protected under this key so far. */
  get sequence(): number {
    return this.seq;
  }

  /** One TLSCiphertext record carrying `content` of inner type `type`, with `padding` zero bytes. */
  protect(type: number, content: Uint8Array, padding = 0): Uint8Array {
    if (this.seq >= MAX_SEQUENCE) throw new TlsError('internal_error', 'write sequence number exhausted');
    // TLSInnerPlaintext = content || type || zeros, sealed in two parts straight into the record
    const trailer = padding === 0 ? typeTrailer(type) : innerTrailer(type, padding);
    const cipherLength = content.length + trailer.length + this.aead.tagLength;
    const record = new Uint8Array(RECORD_HEADER_LENGTH + cipherLength);
    record[0] = ContentType.application_data;
    record[1] = 3;
    record[2] = 3;
    record[3] = cipherLength >> 8;
    record[4] = cipherLength & 0xff;
    this.aead.sealInto(nonceFor(this.iv, this.seq++), record.subarray(0, RECORD_HEADER_LENGTH), [content, trailer], record, RECORD_HEADER_LENGTH);
    return record;
  }
}

export interface OpenedRecord {
  readonly type: number;
  readonly content: Uint8Array;
}

export class RecordUnprotector {
  private seq = 0;

  /** @param maxInnerPlaintext the record_size_limit we advertised (TLSInnerPlaintext bytes, ≤ 2^14 + 1). */
  constructor(
    private readonly aead: Aead,
    private readonly iv: Uint8Array,
    private readonly maxInnerPlaintext = MAX_PLAINTEXT + 1,
  ) {}

  get sequence(): number {
    return this.seq;
  }

  /**
   * Opens one record whose outer type is application_data. Returns undefined when it does not
   * authenticate (the caller decides: skip rejected early data, or bad_record_mac).
   */
  unprotect(header: Uint8Array, fragment: Uint8Array): OpenedRecord | undefined {
    if (this.seq >= MAX_SEQUENCE) throw new TlsError('internal_error', 'read sequence number exhausted');
    if (fragment.length > this.maxInnerPlaintext + this.aead.tagLength) {
      throw new TlsError('record_overflow', `protected record of ${fragment.length} bytes exceeds the record size limit`);
    }
    const inner = this.aead.open(nonceFor(this.iv, this.seq), header, fragment);
    if (inner === undefined) return undefined;
    this.seq++;
    // RFC 8446 §5.2: "the length of TLSInnerPlaintext MUST NOT exceed 2^14 + 1" (or our advertised limit).
    if (inner.length > this.maxInnerPlaintext) throw new TlsError('record_overflow', `inner plaintext of ${inner.length} bytes`);
    // §5.4: strip zero padding from the end; the last non-zero byte is the content type.
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) throw new TlsError('unexpected_message', 'protected record with no non-zero content type');
    return { type: inner[i]!, content: inner.subarray(0, i) };
  }
}
