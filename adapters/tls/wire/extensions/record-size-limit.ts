// record_size_limit (RFC 8449 §4): the largest TLSInnerPlaintext (content + type + padding) the
// sender is willing to receive; in TLS 1.3 at most 2^14 + 1, and never below 64.
import { TlsError } from '../errors.js';
import { decodeWhole, encodeWith } from './codec.js';

export const MIN_RECORD_SIZE_LIMIT = 64;

export function decodeRecordSizeLimit(data: Uint8Array): number {
  const limit = decodeWhole(data, 'record_size_limit', (r) => r.u16());
  // RFC 8449 §4: "An endpoint MUST treat receipt of a smaller value as a fatal error and generate an illegal_parameter alert."
  if (limit < MIN_RECORD_SIZE_LIMIT) throw new TlsError('illegal_parameter', `record_size_limit ${limit} is below 64`);
  return limit;
}

export function encodeRecordSizeLimit(limit: number): Uint8Array {
  return encodeWith((w) => w.u16(limit), 2);
}
