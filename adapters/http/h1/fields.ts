// The field section of an HTTP/1.1 head (RFC 9112 §5, RFC 9110 §5): one strict pass over the raw
// bytes that records where every field line is and interprets only the fields a proxy acts on.
import { COLON, CR, FIELD_VALUE, HTAB, LF, SP, TCHAR } from './chars.js';
import { HttpError, syntaxStatus, type Side } from './errors.js';

/** Field names the proxy acts on, recognised while parsing (everything else is `other`). */
export const FieldKind = {
  other: 0,
  host: 1,
  contentLength: 2,
  transferEncoding: 3,
  connection: 4,
  keepAlive: 5,
  proxyConnection: 6,
  te: 7,
  upgrade: 8,
  expect: 9,
  xForwardedFor: 10,
  xForwardedProto: 11,
  xForwardedHost: 12,
  via: 13,
  /** `X-Client-Cert*`: set only by tlsedge from the TLS handshake, never forwarded as a client sent it. */
  xClientCert: 14,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** Offsets of one field line inside the head buffer, `STRIDE` numbers per line. */
export const F_LINE = 0; // first byte of the field name
export const F_NAME_END = 1; // the colon
export const F_VALUE = 2; // first byte of the value (after OWS)
export const F_VALUE_END = 3; // one past the value's last byte (before OWS)
export const F_LINE_END = 4; // one past the line's CRLF
export const F_KIND = 5; // a FieldKind
export const STRIDE = 6;

/** More field lines than any sane client sends; bounds the work per head besides its byte size. */
export const MAX_FIELDS = 256;

const MAX_SAFE_DIV_10 = Math.floor(Number.MAX_SAFE_INTEGER / 10);

/** Transfer codings registered for HTTP/1.1 (RFC 9112 §7, IANA registry), minus the removed `identity`. */
const KNOWN_CODINGS = new Set(['chunked', 'compress', 'deflate', 'gzip', 'x-compress', 'x-gzip']);

/** Everything the proxy needs from a field section, filled by {@link parseFields}. */
export class HeadFields {
  /** `STRIDE` offsets per field line, in order. */
  readonly lines: number[] = [];
  count = 0;
  hostCount = 0;
  /** Index (field number) of the Host line, -1 when absent. */
  hostField = -1;
  /** Content-Length field lines seen. */
  contentLengthCount = 0;
  /** The Content-Length value, -1 when absent. */
  contentLength = -1;
  /** Transfer-Encoding field lines seen. */
  transferEncodingCount = 0;
  /** Codings in order, lowercased, joined with ", " (canonical form re-emitted when forwarding). */
  transferCodings = '';
  /** The last coding is chunked. */
  chunkedFinal = false;
  chunkedCount = 0;
  /** The first transfer coding that is not registered, or '' when all are known. */
  unknownCoding = '';
  connectionClose = false;
  connectionKeepAlive = false;
  connectionUpgrade = false;
  /** Other field names listed in Connection (lowercased): hop-by-hop, removed when forwarding. */
  connectionOther: string[] | undefined = undefined;
  upgradeField = -1;
  expectContinue = false;
  /** An Expect member other than 100-continue (RFC 9110 §10.1.1). */
  expectOther = false;
  xForwardedForCount = 0;
}

/**
 * Parses field lines from `pos` up to the empty line that ends the head at `end - 2`
 * (`end` is one past the final CRLF CRLF). Throws HttpError (400 for requests, 502 for responses).
 */
export function parseFields(buf: Buffer, pos: number, end: number, side: Side, out: HeadFields): void {
  const last = end - 2;
  const lines = out.lines;
  let i = pos;
  while (i < last) {
    const lineStart = i;
    let b = buf[i]!;
    // RFC 9112 §5.2: obs-fold is rejected, never unfolded (a classic smuggling vector)
    if (b === SP || b === HTAB) throw new HttpError('obs_fold', syntaxStatus(side), 'obsolete line folding in a field line');
    while (TCHAR[b] === 1) b = buf[++i]!;
    // RFC 9112 §5.1: no whitespace between the field name and the colon
    if (i === lineStart || b !== COLON) throw new HttpError('bad_field_name', syntaxStatus(side), 'malformed field name');
    const nameEnd = i;
    b = buf[++i]!;
    while (b === SP || b === HTAB) b = buf[++i]!;
    const valueStart = i;
    for (;;) {
      if (FIELD_VALUE[b] === 1) {
        b = buf[++i]!;
        continue;
      }
      if (b === CR) {
        if (buf[i + 1] !== LF) throw new HttpError('bare_cr', syntaxStatus(side), 'bare CR in a field line');
        break;
      }
      if (b === LF) throw new HttpError('bare_lf', syntaxStatus(side), 'bare LF in a field line');
      throw new HttpError('bad_field_value', syntaxStatus(side), 'control byte in a field value');
    }
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    i += 2;
    if (out.count === MAX_FIELDS) throw new HttpError('too_many_fields', side === 'request' ? 431 : 502, `more than ${MAX_FIELDS} field lines`);
    let kind = classify(buf, lineStart, nameEnd);
    if (kind === FieldKind.other && nameEnd - lineStart >= 13 && (buf[lineStart]! | 0x20) === 0x78 /* x */ && eq(buf, lineStart, 'x-client-cert')) kind = FieldKind.xClientCert;
    lines.push(lineStart, nameEnd, valueStart, valueEnd, i, kind);
    if (kind !== FieldKind.other) interpret(buf, kind, valueStart, valueEnd, side, out);
    out.count++;
  }
}

/** Field name → FieldKind, case-insensitively. Name bytes are already known to be tchar. */
function classify(buf: Buffer, s: number, e: number): FieldKind {
  switch (e - s) {
    case 2:
      return eq(buf, s, 'te') ? FieldKind.te : FieldKind.other;
    case 3:
      return eq(buf, s, 'via') ? FieldKind.via : FieldKind.other;
    case 4:
      return eq(buf, s, 'host') ? FieldKind.host : FieldKind.other;
    case 6:
      return eq(buf, s, 'expect') ? FieldKind.expect : FieldKind.other;
    case 7:
      return eq(buf, s, 'upgrade') ? FieldKind.upgrade : FieldKind.other;
    case 10:
      return eq(buf, s, 'connection') ? FieldKind.connection : eq(buf, s, 'keep-alive') ? FieldKind.keepAlive : FieldKind.other;
    case 14:
      return eq(buf, s, 'content-length') ? FieldKind.contentLength : FieldKind.other;
    case 15:
      return eq(buf, s, 'x-forwarded-for') ? FieldKind.xForwardedFor : FieldKind.other;
    case 16:
      return eq(buf, s, 'proxy-connection') ? FieldKind.proxyConnection : eq(buf, s, 'x-forwarded-host') ? FieldKind.xForwardedHost : FieldKind.other;
    case 17:
      return eq(buf, s, 'transfer-encoding') ? FieldKind.transferEncoding : eq(buf, s, 'x-forwarded-proto') ? FieldKind.xForwardedProto : FieldKind.other;
    default:
      return FieldKind.other;
  }
}

/**
 * Case-insensitive compare against a lowercase literal of letters, digits and "-". OR-ing 0x20 folds
 * A–Z onto a–z; for any other tchar byte it yields a letter, digit or "-" only if it already was one.
 */
function eq(buf: Buffer, s: number, lower: string): boolean {
  for (let j = 0; j < lower.length; j++) if ((buf[s + j]! | 0x20) !== lower.charCodeAt(j)) return false;
  return true;
}

function interpret(buf: Buffer, kind: FieldKind, s: number, e: number, side: Side, out: HeadFields): void {
  switch (kind) {
    case FieldKind.host:
      out.hostCount++;
      out.hostField = out.count;
      return;
    case FieldKind.contentLength: {
      const value = parseContentLength(buf, s, e, side);
      // RFC 9112 §6.3 ¶5: differing values are unrecoverable; identical repeats are one value
      if (out.contentLength !== -1 && out.contentLength !== value) {
        throw new HttpError('conflicting_content_length', syntaxStatus(side), 'conflicting Content-Length values');
      }
      out.contentLength = value;
      out.contentLengthCount++;
      return;
    }
    case FieldKind.transferEncoding:
      out.transferEncodingCount++;
      parseTransferCodings(buf, s, e, out);
      return;
    case FieldKind.connection:
      parseConnection(buf, s, e, out);
      return;
    case FieldKind.upgrade:
      out.upgradeField = out.count;
      return;
    case FieldKind.expect:
      if (e - s === 12 && eq(buf, s, '100-continue')) out.expectContinue = true;
      else out.expectOther = true;
      return;
    case FieldKind.xForwardedFor:
      out.xForwardedForCount++;
      return;
    default:
      return;
  }
}

/** Content-Length = 1*DIGIT, or a list of identical such values (RFC 9110 §8.6). */
function parseContentLength(buf: Buffer, s: number, e: number, side: Side): number {
  let value = -1;
  let i = s;
  for (;;) {
    let n = 0;
    const start = i;
    while (i < e) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) break;
      if (n > MAX_SAFE_DIV_10) throw new HttpError('bad_content_length', syntaxStatus(side), 'Content-Length too large');
      n = n * 10 + d;
      i++;
    }
    if (i === start) throw new HttpError('bad_content_length', syntaxStatus(side), 'Content-Length is not a number');
    if (value !== -1 && value !== n) throw new HttpError('conflicting_content_length', syntaxStatus(side), 'conflicting Content-Length values');
    value = n;
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i === e) return value;
    if (buf[i] !== 0x2c) throw new HttpError('bad_content_length', syntaxStatus(side), 'Content-Length is not a number');
    i++;
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
  }
}

/** transfer-coding list (RFC 9112 §6.1); parameters are not accepted on any coding here. */
function parseTransferCodings(buf: Buffer, s: number, e: number, out: HeadFields): void {
  let i = s;
  while (i < e) {
    const b = buf[i]!;
    if (b === 0x2c || b === SP || b === HTAB) {
      i++; // empty list elements and OWS are allowed (RFC 9110 §5.6.1)
      continue;
    }
    const start = i;
    while (i < e && TCHAR[buf[i]!] === 1) i++;
    if (i === start) {
      // not a token (e.g. a ';' parameter or a quote): not a coding we can frame by
      if (out.unknownCoding === '') out.unknownCoding = buf.toString('latin1', start, Math.min(e, start + 32));
      out.chunkedFinal = false;
      return;
    }
    const name = start + 7 === i && eq(buf, start, 'chunked') ? 'chunked' : buf.toString('latin1', start, i).toLowerCase();
    if (name === 'chunked') out.chunkedCount++;
    else if (!KNOWN_CODINGS.has(name) && out.unknownCoding === '') out.unknownCoding = name;
    out.chunkedFinal = name === 'chunked';
    out.transferCodings = out.transferCodings === '' ? name : `${out.transferCodings}, ${name}`;
    while (i < e && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i < e && buf[i] !== 0x2c) {
      if (out.unknownCoding === '') out.unknownCoding = buf.toString('latin1', start, Math.min(e, start + 32));
      out.chunkedFinal = false;
      return;
    }
  }
}

/** Connection = #connection-option (RFC 9110 §7.6.1). */
function parseConnection(buf: Buffer, s: number, e: number, out: HeadFields): void {
  let i = s;
  while (i < e) {
    const b = buf[i]!;
    if (b === 0x2c || b === SP || b === HTAB) {
      i++;
      continue;
    }
    const start = i;
    while (i < e && TCHAR[buf[i]!] === 1) i++;
    if (i === start) {
      i++; // stray byte: not a token, ignore it
      continue;
    }
    const len = i - start;
    if (len === 5 && eq(buf, start, 'close')) out.connectionClose = true;
    else if (len === 10 && eq(buf, start, 'keep-alive')) out.connectionKeepAlive = true;
    else if (len === 7 && eq(buf, start, 'upgrade')) out.connectionUpgrade = true;
    else (out.connectionOther ??= []).push(buf.toString('latin1', start, i).toLowerCase());
  }
}

/** The lowercased name of field `n` (for the rare lookups that need a string). */
export function fieldName(buf: Buffer, fields: HeadFields, n: number): string {
  const o = n * STRIDE;
  return buf.toString('latin1', fields.lines[o + F_LINE]!, fields.lines[o + F_NAME_END]!).toLowerCase();
}

/** The value of field `n`, trimmed of OWS, as a latin1 string. */
export function fieldValue(buf: Buffer, fields: HeadFields, n: number): string {
  const o = n * STRIDE;
  return buf.toString('latin1', fields.lines[o + F_VALUE]!, fields.lines[o + F_VALUE_END]!);
}

/** Values of every field named `name` (case-insensitive), in order. */
export function fieldValues(buf: Buffer, fields: HeadFields, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let n = 0; n < fields.count; n++) {
    const o = n * STRIDE;
    const s = fields.lines[o + F_LINE]!;
    const e = fields.lines[o + F_NAME_END]!;
    if (e - s === lower.length && buf.toString('latin1', s, e).toLowerCase() === lower) out.push(fieldValue(buf, fields, n));
  }
  return out;
}
