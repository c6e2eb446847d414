// Certificate (RFC 8446 §4.4.2): a request context and a list of (cert_data, extensions) entries,
// leaf first. The server sends its chain; a client answers a CertificateRequest with its own.
import { HandshakeType } from '../../wire/enums.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { readExtensionList, writeExtensionList, type RawExtension } from '../../wire/extensions/list.js';

export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

export interface CertificateMessage {
  readonly raw: Uint8Array;
  readonly context: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}

export function encodeCertificate(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  let size = 16;
  for (const c of chain) size += c.length + 5;
  return buildHandshake(
    HandshakeType.certificate,
    (w) => {
      w.vector(1, (v) => v.bytes(context));
      w.vector(3, (list) => {
        for (const der of chain) {
          list.vector(3, (v) => v.bytes(der));
          writeExtensionList(list, []);
        }
      });
    },
    size,
  );
}

export function decodeCertificate(raw: Uint8Array): CertificateMessage {
  const { body } = readHandshakeFrame(raw, HandshakeType.certificate);
  const r = new Reader(body);
  const context = r.vector(1, 'certificate_request_context', 0, 255);
  const listStart = 4 + r.position + 3;
  const list = r.sub(3, 'certificate_list', 0, 0xffffff);
  const entries: CertificateEntry[] = [];
  while (!list.atEnd) {
    const certData = list.vector(3, 'cert_data', 1, 0xffffff);
    const extensions = readExtensionList(list, 'certificate', listStart);
    entries.push({ certData, extensions });
  }
  r.expectEnd('certificate');
  return { raw, context, entries };
}
