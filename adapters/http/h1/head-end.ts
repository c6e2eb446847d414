// Finding the end of a message head (the CRLF CRLF after the field section, RFC 9112 §2.1) in
// bytes that may still be arriving, within a byte limit.
import { HttpError, type Side } from './errors.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * One past the head's final CRLF CRLF in `buf[start..]`, or -1 while it has not arrived.
 * `scanFrom` lets a caller that appends bytes skip what it already searched (it must be ≥ start).
 * Throws `head_too_large` (431 for requests, 502 for responses) once more than `maxBytes` bytes
 * of head have arrived without its end.
 */
export function findHeadEnd(buf: Buffer, start: number, maxBytes: number, side: Side, scanFrom = start): number {
  const idx = buf.indexOf(CRLFCRLF, Math.max(start, scanFrom - 3));
  if (idx === -1) {
    if (buf.length - start > maxBytes) throw tooLarge(side, maxBytes);
    return -1;
  }
  const end = idx + 4;
  if (end - start > maxBytes) throw tooLarge(side, maxBytes);
  return end;
}

function tooLarge(side: Side, maxBytes: number): HttpError {
  return new HttpError('head_too_large', side === 'request' ? 431 : 502, `message head larger than ${maxBytes} bytes`);
}
