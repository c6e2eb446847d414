// Typed HTTP/1.1 codec errors: every parse failure carries a stable `code` and the status a
// proxy answers with (4xx for a client's request, 502 for an origin's response; RFC 9112 §2.2).

export type HttpErrorCode =
  // message head syntax (RFC 9112 §2–§5)
  | 'head_too_large' // no end of head within the configured limit (431 / 502)
  | 'bad_request_line' // method, target or separators malformed (RFC 9112 §3)
  | 'bad_status_line' // status line malformed (RFC 9112 §4)
  | 'bad_version' // not HTTP/x.y
  | 'unsupported_version' // HTTP/2.0, HTTP/0.9, … on an HTTP/1.1 connection (505)
  | 'bad_field_name' // empty name, non-token bytes, or whitespace before the colon (RFC 9112 §5.1)
  | 'bad_field_value' // control bytes in a field value (RFC 9110 §5.5)
  | 'obs_fold' // a field line starting with whitespace (RFC 9112 §5.2: rejected, not unfolded)
  | 'bare_cr' // CR not followed by LF (RFC 9112 §2.2)
  | 'bare_lf' // LF not preceded by CR (accepted by RFC 9112 §2.2 as MAY; refused here: smuggling)
  | 'too_many_fields'
  // framing (RFC 9112 §6)
  | 'te_with_content_length' // both Transfer-Encoding and Content-Length (RFC 9112 §6.3 ¶3)
  | 'bad_content_length' // not 1*DIGIT, or too large (RFC 9110 §8.6)
  | 'conflicting_content_length' // several different Content-Length values (RFC 9112 §6.3 ¶5)
  | 'unknown_transfer_coding' // a transfer coding this proxy does not know (501, RFC 9112 §6.1)
  | 'chunked_not_final' // request Transfer-Encoding whose last coding is not chunked (RFC 9112 §6.3 ¶4)
  | 'chunked_twice' // chunked applied more than once (RFC 9112 §6.1)
  | 'te_in_http10' // Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1: faulty framing)
  | 'bad_chunk_size'
  | 'bad_chunk_extension'
  | 'bad_chunk_terminator' // chunk data not followed by CRLF
  | 'chunk_line_too_long'
  | 'bad_trailer'
  | 'trailer_too_large'
  // request semantics (RFC 9112 §3.2, RFC 9110)
  | 'missing_host' // HTTP/1.1 request without Host (RFC 9112 §3.2: 400)
  | 'duplicate_host' // more than one Host field line (RFC 9112 §3.2: 400)
  | 'bad_host'
  | 'bad_target' // request-target form not allowed for the method (RFC 9112 §3.2)
  | 'unsupported_method' // CONNECT: this is a reverse proxy (501)
  | 'expectation_failed' // an Expect other than 100-continue (RFC 9110 §10.1.1: 417)
  // response semantics
  | 'unexpected_switch'; // 101 to a request that did not ask to upgrade

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  /** The status a proxy answers with: 400/417/431/501/505 for requests, 502 for responses. */
  readonly status: number;

  constructor(code: HttpErrorCode, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

/** Which side of the exchange a head came from: decides 4xx (client) versus 502 (origin). */
export type Side = 'request' | 'response';

/** The status for a syntax error in a head from `side`: 400 from a client, 502 from an origin. */
export function syntaxStatus(side: Side): number {
  return side === 'request' ? 400 : 502;
}
