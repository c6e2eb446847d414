// The response head (RFC 9112 §4) and how its body is delimited (RFC 9112 §6.3), which depends on
// the request it answers (HEAD) and the status (1xx, 204, 304 have no body).
import { CR, FIELD_VALUE, LF, SP } from './chars.js';
import { HttpError } from './errors.js';
import { HeadFields, parseFields } from './fields.js';
import { findHeadEnd } from './head-end.js';
import { parseVersion, type HttpVersion } from './version.js';

/** How a response body is delimited: `close` means "until the origin closes" (RFC 9112 §6.3 ¶8). */
export type ResponseBody = 'none' | 'length' | 'chunked' | 'close';

export class ResponseHead {
  constructor(
    readonly buf: Buffer,
    /** One past the final CRLF CRLF: the first body byte. The head starts at 0. */
    readonly end: number,
    readonly version: HttpVersion,
    readonly status: number,
    /** Offset of the status code: the status line from here on is copied when forwarding. */
    readonly statusStart: number,
    readonly fields: HeadFields,
    readonly body: ResponseBody,
    readonly contentLength: number,
    /** The origin allows the connection to be reused after this response (RFC 9112 §9.3). */
    readonly keepAlive: boolean,
  ) {}

  get interim(): boolean {
    return this.status < 200;
  }
}

export interface ResponseContext {
  /** The request was HEAD: no body whatever the fields say (RFC 9110 §9.3.2). */
  headRequest: boolean;
  maxHeadBytes: number;
}

/**
 * Parses a response head at the start of `buf`. Returns undefined while incomplete; throws
 * HttpError with status 502 for anything malformed or ambiguous.
 */
export function parseResponseHead(buf: Buffer, ctx: ResponseContext, scanFrom = 0): ResponseHead | undefined {
  const end = findHeadEnd(buf, 0, ctx.maxHeadBytes, 'response', scanFrom);
  if (end === -1) return undefined;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
  const version = parseVersion(buf, 0, 'response');
  if (buf[8] !== SP) throw new HttpError('bad_status_line', 502, 'malformed status line');
  const d0 = buf[9]! - 0x30;
  const d1 = buf[10]! - 0x30;
  const d2 = buf[11]! - 0x30;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw new HttpError('bad_status_line', 502, 'malformed status code');
  const status = d0 * 100 + d1 * 10 + d2;
  let i = 12;
  // the SP before an empty reason-phrase is often left out; accept its absence (no framing impact)
  if (buf[i] === SP) {
    i++;
    while (FIELD_VALUE[buf[i]!] === 1) i++;
  }
  if (buf[i] !== CR || buf[i + 1] !== LF) {
    throw new HttpError(buf[i] === CR ? 'bare_cr' : buf[i] === LF ? 'bare_lf' : 'bad_status_line', 502, 'malformed status line');
  }
  const fields = new HeadFields();
  parseFields(buf, i + 2, end, 'response', fields);

  let body: ResponseBody;
  let contentLength = 0;
  if (ctx.headRequest || status < 200 || status === 204 || status === 304) {
    body = 'none';
  } else if (fields.transferEncodingCount > 0) {
    if (fields.contentLengthCount > 0) throw new HttpError('te_with_content_length', 502, 'both Transfer-Encoding and Content-Length');
    if (version === 10) throw new HttpError('te_in_http10', 502, 'Transfer-Encoding in an HTTP/1.0 response');
    if (fields.chunkedCount > 1) throw new HttpError('chunked_twice', 502, 'chunked applied more than once');
    // RFC 9112 §6.3 ¶4: a response whose final coding is not chunked runs until the close
    body = fields.chunkedFinal ? 'chunked' : 'close';
  } else if (fields.contentLengthCount > 0) {
    contentLength = fields.contentLength;
    body = contentLength === 0 ? 'none' : 'length';
  } else {
    body = 'close';
  }
  const keepAlive = body !== 'close' && (version === 11 ? !fields.connectionClose : fields.connectionKeepAlive && !fields.connectionClose);
  return new ResponseHead(buf, end, version, status, 9, fields, body, contentLength, keepAlive);
}
