// Which handshake message may carry which extension (RFC 8446 §4.2 table, plus RFC 8449 and the
// TLS 1.2 extensions a ClientHello may still carry). A recognised extension in a message the table
// does not list is an illegal_parameter (RFC 8446 §4.2); unknown extension types are ignored.
import { ExtensionType } from '../enums.js';
import { TlsError } from '../errors.js';

export const ExtensionContext = {
  client_hello: 'CH',
  server_hello: 'SH',
  hello_retry_request: 'HRR',
  encrypted_extensions: 'EE',
  certificate: 'CT',
  certificate_request: 'CR',
  new_session_ticket: 'NST',
} as const;

export type ExtensionContextName = keyof typeof ExtensionContext;

type Code = (typeof ExtensionContext)[ExtensionContextName];

const E = ExtensionType;

/** Extension type → the messages that may carry it (RFC 8446 §4.2, RFC 8449 §4, RFC 8879 §3). */
const allowed: ReadonlyMap<number, readonly Code[]> = new Map<number, readonly Code[]>([
  [E.server_name, ['CH', 'EE']],
  [E.max_fragment_length, ['CH', 'EE']],
  [E.status_request, ['CH', 'CR', 'CT']],
  [E.supported_groups, ['CH', 'EE']],
  [E.signature_algorithms, ['CH', 'CR']],
  [E.use_srtp, ['CH', 'EE']],
  [E.heartbeat, ['CH', 'EE']],
  [E.application_layer_protocol_negotiation, ['CH', 'EE']],
  [E.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [E.client_certificate_type, ['CH', 'EE']],
  [E.server_certificate_type, ['CH', 'EE']],
  [E.padding, ['CH']],
  [E.record_size_limit, ['CH', 'EE']],
  [E.compress_certificate, ['CH', 'CR']],
  [E.key_share, ['CH', 'SH', 'HRR']],
  [E.pre_shared_key, ['CH', 'SH']],
  [E.psk_key_exchange_modes, ['CH']],
  [E.early_data, ['CH', 'EE', 'NST']],
  [E.cookie, ['CH', 'HRR']],
  [E.supported_versions, ['CH', 'SH', 'HRR']],
  [E.certificate_authorities, ['CH', 'CR']],
  [E.oid_filters, ['CR']],
  [E.post_handshake_auth, ['CH']],
  [E.signature_algorithms_cert, ['CH', 'CR']],
  // TLS 1.2 extensions: a TLS 1.3 server sees them only in a ClientHello (RFC 8446 §4.1.2 lets it ignore them).
  [E.ec_point_formats, ['CH']],
  [E.encrypt_then_mac, ['CH']],
  [E.extended_master_secret, ['CH']],
  [E.session_ticket, ['CH']],
  [E.renegotiation_info, ['CH']],
]);

/** True when the table knows `type` (an extension this codebase recognises). */
export function isRecognisedExtension(type: number): boolean {
  return allowed.has(type);
}

/** True when `type` may appear in `message`; unknown types are allowed (and ignored by the reader). */
export function mayCarry(message: ExtensionContextName, type: number): boolean {
  const contexts = allowed.get(type);
  return contexts === undefined || contexts.includes(ExtensionContext[message]);
}

/** Throws illegal_parameter when a recognised extension appears in a message that may not carry it. */
export function checkExtensionAllowed(message: ExtensionContextName, type: number): void {
  if (!mayCarry(message, type)) {
    throw new TlsError('illegal_parameter', `extension ${type} is not allowed in ${message} (RFC 8446 §4.2)`);
  }
}
