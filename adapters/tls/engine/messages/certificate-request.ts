// CertificateRequest (RFC 8446 §4.3.2): sent by the server when policy asks for a client
// certificate; carries signature_algorithms (required) and optionally certificate_authorities.
import { ExtensionType, HandshakeType } from '../../wire/enums.js';
import { TlsError } from '../../wire/errors.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { findExtension, readExtensionList, writeExtensionList, type RawExtension } from '../../wire/extensions/list.js';

export interface CertificateRequest {
  readonly raw: Uint8Array;
  readonly context: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

export function encodeCertificateRequest(context: Uint8Array, extensions: ReadonlyArray<{ type: number; data: Uint8Array }>): Uint8Array {
  return buildHandshake(HandshakeType.certificate_request, (w) => {
    w.vector(1, (v) => v.bytes(context));
    writeExtensionList(w, extensions);
  });
}

export function decodeCertificateRequest(raw: Uint8Array): CertificateRequest {
  const { body } = readHandshakeFrame(raw, HandshakeType.certificate_request);
  const r = new Reader(body);
  const context = r.vector(1, 'certificate_request_context', 0, 255);
  const extensions = readExtensionList(r, 'certificate_request', 4, { min: 2 });
  r.expectEnd('certificate_request');
  if (!findExtension(extensions, ExtensionType.signature_algorithms)) {
    throw new TlsError('missing_extension', 'certificate_request without signature_algorithms (RFC 8446 §4.3.2)');
  }
  return { raw, context, extensions };
}
