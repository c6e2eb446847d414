// Typed origin-side failures: connecting, TLS, verification and pool limits, each with a stable
// `code` the proxy maps to a status (502/503/504) and the lead maps to an event reason.

export type OriginErrorCode =
  | 'connect_refused' // ECONNREFUSED
  | 'connect_reset' // reset or closed while connecting
  | 'connect_timeout' // no TCP + TLS connection within timeouts.connect
  | 'dns_failed' // the origin host name does not resolve
  | 'tls_failed' // the TLS handshake failed (alert, protocol, reset during the handshake)
  | 'verify_failed' // strict verification refused the origin's certificate or name
  | 'pool_full' // max_connections reached and the wait queue is full
  | 'queue_timeout' // waited for a connection longer than timeouts.connect
  | 'material_failed' // client certificate / CA bundle files could not be loaded
  | 'alpn_refused' // an h2 origin did not select h2 (ALPN), so no HTTP/2 session could start
  | 'aborted' // the caller gave up (client went away)
  | 'closed'; // the pool was closed

export class OriginError extends Error {
  override readonly name = 'OriginError';
  readonly code: OriginErrorCode;
  /** The underlying system or OpenSSL error code (e.g. `ECONNREFUSED`, `ERR_TLS_CERT_ALTNAME_INVALID`), if any. */
  readonly detail: string | undefined;

  constructor(code: OriginErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isOriginError(err: unknown): err is OriginError {
  return err instanceof OriginError;
}

/** Codes OpenSSL / Node report for a certificate that failed verification (not a broken handshake). */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isVerifyCode(code: string | undefined): boolean {
  return code !== undefined && VERIFY_CODES.has(code);
}

/** The error code of a Node system / TLS error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
