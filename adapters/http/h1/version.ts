// HTTP-version = HTTP-name "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
import { HttpError, syntaxStatus, type Side } from './errors.js';

/** 10 for HTTP/1.0, 11 for HTTP/1.1 (and later 1.x minors, RFC 9110 §6.2). */
export type HttpVersion = 10 | 11;

/** Parses the 8 version bytes at `i`; throws `bad_version` or `unsupported_version` (505 / 502). */
export function parseVersion(buf: Buffer, i: number, side: Side): HttpVersion {
  if (buf[i] !== 0x48 || buf[i + 1] !== 0x54 || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x50 || buf[i + 4] !== 0x2f || buf[i + 6] !== 0x2e) {
    throw new HttpError('bad_version', syntaxStatus(side), 'malformed HTTP version');
  }
  const major = buf[i + 5]! - 0x30;
  const minor = buf[i + 7]! - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) throw new HttpError('bad_version', syntaxStatus(side), 'malformed HTTP version');
  if (major !== 1) throw new HttpError('unsupported_version', side === 'request' ? 505 : 502, `HTTP/${major}.${minor} is not HTTP/1.x`);
  return minor === 0 ? 10 : 11;
}
