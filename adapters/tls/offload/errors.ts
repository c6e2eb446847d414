// Errors the offload socket surfaces to its users: the TLS failure (with the alert) that ended a
// connection, or a host-side failure (signer, timeout). Stable `code`s; no secrets in messages.
export type OffloadErrorCode = 'tls_alert_sent' | 'tls_alert_received' | 'handshake_timeout' | 'socket_closed';

export class OffloadTlsError extends Error {
  override readonly name = 'OffloadTlsError';
  constructor(
    readonly code: OffloadErrorCode,
    message: string,
    /** The alert name (e.g. `decrypt_error`) and the engine's TlsError code, when one was involved. */
    readonly alert?: string,
    readonly tlsCode?: string,
  ) {
    super(message);
  }
}
