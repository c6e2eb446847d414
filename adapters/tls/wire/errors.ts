// Typed errors for TLS wire decoding and the handshake: every failure carries a stable `code`
// and the TLS alert it maps to (RFC 8446 §6.2), so exactly one place turns errors into alerts.
import { AlertDescription } from './enums.js';

export type TlsErrorCode =
  | 'truncated' // a length prefix or fixed field runs past the end of its buffer
  | 'trailing_bytes' // bytes left after a structure that must fill its buffer
  | 'length_out_of_range' // a vector length outside the bounds its definition allows
  | 'too_large' // input above a configured cap (hello size, record size)
  | 'not_tls' // the first bytes are not a TLS handshake record
  | 'unexpected_message'
  | 'illegal_parameter'
  | 'duplicate_extension'
  | 'decode_error'
  | 'protocol_version'
  | 'handshake_failure'
  | 'no_application_protocol'
  | 'missing_extension'
  | 'unsupported_extension'
  | 'bad_record_mac'
  | 'record_overflow'
  | 'decrypt_error'
  | 'bad_certificate'
  | 'certificate_required'
  | 'unrecognized_name'
  | 'internal_error'
  | 'timeout'
  | 'sslv2_hello' // an SSLv2-compatible ClientHello (RFC 5246 §E.2): refused, no TLS 1.3 client sends it
  | 'unknown_ca'
  | 'certificate_expired'
  | 'certificate_unknown'
  | 'unsupported_certificate'
  | 'insufficient_security'
  | 'access_denied'
  | 'unknown_psk_identity'
  | 'inappropriate_fallback'
  | 'user_canceled';

const alertForCode: Record<TlsErrorCode, number> = {
  truncated: AlertDescription.decode_error,
  trailing_bytes: AlertDescription.decode_error,
  length_out_of_range: AlertDescription.decode_error,
  too_large: AlertDescription.record_overflow,
  not_tls: AlertDescription.unexpected_message,
  unexpected_message: AlertDescription.unexpected_message,
  illegal_parameter: AlertDescription.illegal_parameter,
  duplicate_extension: AlertDescription.illegal_parameter, // RFC 8446 §4.2
  decode_error: AlertDescription.decode_error,
  protocol_version: AlertDescription.protocol_version,
  handshake_failure: AlertDescription.handshake_failure,
  no_application_protocol: AlertDescription.no_application_protocol,
  missing_extension: AlertDescription.missing_extension,
  unsupported_extension: AlertDescription.unsupported_extension,
  bad_record_mac: AlertDescription.bad_record_mac,
  record_overflow: AlertDescription.record_overflow,
  decrypt_error: AlertDescription.decrypt_error,
  bad_certificate: AlertDescription.bad_certificate,
  certificate_required: AlertDescription.certificate_required,
  unrecognized_name: AlertDescription.unrecognized_name,
  internal_error: AlertDescription.internal_error,
  timeout: AlertDescription.internal_error,
  sslv2_hello: AlertDescription.protocol_version,
  unknown_ca: AlertDescription.unknown_ca,
  certificate_expired: AlertDescription.certificate_expired,
  certificate_unknown: AlertDescription.certificate_unknown,
  unsupported_certificate: AlertDescription.unsupported_certificate,
  insufficient_security: AlertDescription.insufficient_security,
  access_denied: AlertDescription.access_denied,
  unknown_psk_identity: AlertDescription.unknown_psk_identity,
  inappropriate_fallback: AlertDescription.inappropriate_fallback,
  user_canceled: AlertDescription.user_canceled,
};

export class TlsError extends Error {
  override readonly name = 'TlsError';
  readonly code: TlsErrorCode;
  /** The alert description this error is reported with (RFC 8446 §6). */
  readonly alert: number;

  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown; alert?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.alert = options?.alert ?? alertForCode[code];
  }
}

export function isTlsError(err: unknown): err is TlsError {
  return err instanceof TlsError;
}
