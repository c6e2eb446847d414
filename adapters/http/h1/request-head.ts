// The request head (RFC 9112 §3): request line, fields, and the framing and connection facts a
// proxy acts on. Strict on purpose: every ambiguity an attacker could use to make two parsers
// disagree about where a request ends (request smuggling) is a 4xx here.
import { CR, HOST, LF, SP, TARGET, TCHAR } from './chars.js';
import { HttpError } from './errors.js';
import { F_VALUE, F_VALUE_END, fieldValues, HeadFields, parseFields, STRIDE } from './fields.js';
import { findHeadEnd } from './head-end.js';
import { parseVersion, type HttpVersion } from './version.js';

/** How a request body is delimited (RFC 9112 §6.3): requests are never close-delimited. */
export type RequestBody = 'none' | 'length' | 'chunked';

export class RequestHead {
  constructor(
    /** The bytes holding the head; the head is `buf[start, end)`. Do not mutate. */
    readonly buf: Buffer,
    readonly start: number,
    /** One past the final CRLF CRLF: the first body (or next request) byte. */
    readonly end: number,
    readonly method: string,
    /** The request-target as sent. */
    readonly target: string,
    /** Origin-form path and query to forward (`*` for OPTIONS *). */
    readonly path: string,
    readonly version: HttpVersion,
    /** Host (or the absolute-form target's authority), as sent; '' for HTTP/1.0 without Host. */
    readonly authority: string,
    /** The authority's host, lowercased, without port or IPv6 brackets. */
    readonly host: string,
    readonly fields: HeadFields,
    readonly body: RequestBody,
    /** Body length for `length`; 0 otherwise. */
    readonly contentLength: number,
    /** The client allows the connection to stay open after this exchange (RFC 9112 §9.3). */
    readonly keepAlive: boolean,
    /** Connection: upgrade with an Upgrade field on HTTP/1.1 (RFC 9110 §7.8). */
    readonly upgrade: boolean,
    /** Expect: 100-continue on HTTP/1.1 (RFC 9110 §10.1.1). */
    readonly expectContinue: boolean,
  ) {}

  /** Head size in bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** The first value of the field `name` (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    return fieldValues(this.buf, this.fields, name)[0];
  }
}

export interface RequestHeadLimits {
  /** Largest head accepted (431 beyond). */
  maxHeadBytes: number;
}

/**
 * Parses a request head at the start of `buf` (after any empty lines, RFC 9112 §2.2). Returns
 * undefined while the head is incomplete; throws HttpError (its `status` is the answer to send).
 * `scanFrom` is how far an earlier call already searched for the end of the head.
 */
export function parseRequestHead(buf: Buffer, limits: RequestHeadLimits, scanFrom = 0): RequestHead | undefined {
  let start = 0;
  // RFC 9112 §2.2: ignore empty lines received before the request line
  while (buf[start] === CR && buf[start + 1] === LF) start += 2;
  if (start === buf.length || (start === buf.length - 1 && buf[start] === CR)) return undefined;
  const end = findHeadEnd(buf, start, limits.maxHeadBytes, 'request', Math.max(scanFrom, start));
  if (end === -1) return undefined;
  return parseCompleteHead(buf, start, end);
}

function parseCompleteHead(buf: Buffer, start: number, end: number): RequestHead {
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3): single spaces
  let i = start;
  while (TCHAR[buf[i]!] === 1) i++;
  if (i === start || buf[i] !== SP) throw new HttpError('bad_request_line', 400, 'malformed method');
  const method = methodName(buf, start, i);
  const targetStart = ++i;
  while (TARGET[buf[i]!] === 1) i++;
  if (i === targetStart || buf[i] !== SP) throw new HttpError('bad_request_line', 400, 'malformed request-target');
  const targetEnd = i;
  const version = parseVersion(buf, i + 1, 'request');
  i += 9;
  if (buf[i] !== CR || buf[i + 1] !== LF) {
    throw new HttpError(buf[i] === CR || buf[i] === LF ? (buf[i] === CR ? 'bare_cr' : 'bare_lf') : 'bad_request_line', 400, 'malformed request line');
  }
  const fields = new HeadFields();
  parseFields(buf, i + 2, end, 'request', fields);

  if (method === 'CONNECT') throw new HttpError('unsupported_method', 501, 'CONNECT is not supported by a reverse proxy');

  // Host: exactly one for HTTP/1.1 (RFC 9112 §3.2)
  if (fields.hostCount > 1) throw new HttpError('duplicate_host', 400, 'more than one Host field');
  if (fields.hostCount === 0 && version === 11) throw new HttpError('missing_host', 400, 'HTTP/1.1 request without Host');

  const target = buf.toString('latin1', targetStart, targetEnd);
  let path = target;
  let authority = fields.hostField >= 0 ? hostValue(buf, fields) : '';
  const first = buf[targetStart];
  if (first !== 0x2f) {
    if (first === 0x2a && targetEnd - targetStart === 1) {
      if (method !== 'OPTIONS') throw new HttpError('bad_target', 400, 'asterisk-form is only for OPTIONS');
    } else {
      // absolute-form: the target's authority replaces Host (RFC 9112 §3.2.2)
      const abs = absoluteForm(target);
      if (!abs) throw new HttpError('bad_target', 400, 'request-target is not origin-form or absolute-form');
      authority = abs.authority;
      path = abs.path;
    }
  }
  const host = authority === '' ? '' : hostOf(authority);

  // Framing (RFC 9112 §6.3): reject every combination two parsers could read differently
  let body: RequestBody = 'none';
  let contentLength = 0;
  if (fields.transferEncodingCount > 0) {
    if (version === 10) throw new HttpError('te_in_http10', 400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (fields.contentLengthCount > 0) throw new HttpError('te_with_content_length', 400, 'both Transfer-Encoding and Content-Length');
    if (fields.unknownCoding !== '') throw new HttpError('unknown_transfer_coding', 501, 'unknown transfer coding');
    if (fields.chunkedCount > 1) throw new HttpError('chunked_twice', 400, 'chunked applied more than once');
    if (!fields.chunkedFinal) throw new HttpError('chunked_not_final', 400, 'chunked is not the final transfer coding');
    body = 'chunked';
  } else if (fields.contentLengthCount > 0) {
    contentLength = fields.contentLength;
    body = contentLength === 0 ? 'none' : 'length';
  }

  let expectContinue = false;
  if (version === 11) {
    // RFC 9110 §10.1.1: an expectation other than 100-continue may be refused with 417
    if (fields.expectOther) throw new HttpError('expectation_failed', 417, 'unsupported expectation');
    expectContinue = fields.expectContinue;
  }
  const keepAlive = version === 11 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose;
  const upgrade = version === 11 && fields.connectionUpgrade && fields.upgradeField >= 0;
  return new RequestHead(buf, start, end, method, target, path, version, authority, host, fields, body, contentLength, keepAlive, upgrade, expectContinue);
}

function hostValue(buf: Buffer, fields: HeadFields): string {
  const o = fields.hostField * STRIDE;
  const s = fields.lines[o + F_VALUE]!;
  const e = fields.lines[o + F_VALUE_END]!;
  for (let i = s; i < e; i++) if (HOST[buf[i]!] !== 1) throw new HttpError('bad_host', 400, 'malformed Host');
  if (s === e) throw new HttpError('bad_host', 400, 'empty Host');
  return buf.toString('latin1', s, e);
}

/** uri-host of an authority: lowercased, port and IPv6 brackets removed (RFC 3986 §3.2). */
function hostOf(authority: string): string {
  let host: string;
  if (authority.charCodeAt(0) === 0x5b) {
    const close = authority.indexOf(']');
    if (close < 0) throw new HttpError('bad_host', 400, 'malformed IP literal in Host');
    host = authority.slice(1, close);
    checkPort(authority, close + 1);
  } else {
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    if (colon >= 0) checkPort(authority, colon);
    if (host.includes('[') || host.includes(']')) throw new HttpError('bad_host', 400, 'malformed Host');
  }
  if (host === '') throw new HttpError('bad_host', 400, 'empty host in Host');
  return host.toLowerCase();
}

function checkPort(authority: string, at: number): void {
  if (at === authority.length) return;
  if (authority.charCodeAt(at) !== 0x3a) throw new HttpError('bad_host', 400, 'malformed port in Host');
  for (let i = at + 1; i < authority.length; i++) {
    const c = authority.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new HttpError('bad_host', 400, 'malformed port in Host');
  }
}

function absoluteForm(target: string): { authority: string; path: string } | undefined {
  const lower = target.slice(0, 8).toLowerCase();
  const skip = lower.startsWith('http://') ? 7 : lower.startsWith('https://') ? 8 : 0;
  if (skip === 0) return undefined;
  let i = skip;
  while (i < target.length) {
    const c = target.charCodeAt(i);
    if (c === 0x2f || c === 0x3f) break;
    i++;
  }
  const authority = target.slice(skip, i);
  if (authority === '' || authority.includes('@')) return undefined; // userinfo is deprecated (RFC 9110 §4.2.4)
  for (let j = 0; j < authority.length; j++) if (HOST[authority.charCodeAt(j)] !== 1) return undefined;
  const rest = target.slice(i);
  return { authority, path: rest === '' ? '/' : rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest };
}

/** Interned names for common methods, so the hot path allocates no string for them. */
function methodName(buf: Buffer, s: number, e: number): string {
  const c = buf[s];
  switch (e - s) {
    case 3:
      if (c === 0x47 && buf[s + 1] === 0x45 && buf[s + 2] === 0x54) return 'GET';
      if (c === 0x50 && buf[s + 1] === 0x55 && buf[s + 2] === 0x54) return 'PUT';
      break;
    case 4:
      if (c === 0x50 && buf[s + 1] === 0x4f && buf[s + 2] === 0x53 && buf[s + 3] === 0x54) return 'POST';
      if (c === 0x48 && buf[s + 1] === 0x45 && buf[s + 2] === 0x41 && buf[s + 3] === 0x44) return 'HEAD';
      break;
    default:
      break;
  }
  // Methods are case-sensitive (RFC 9110 §9.1): no folding
  return buf.toString('latin1', s, e);
}
