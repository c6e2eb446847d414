// EncryptedExtensions (RFC 8446 §4.3.1): the server's answers that need no key exchange context.
import { HandshakeType } from '../../wire/enums.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { readExtensionList, writeExtensionList, type RawExtension } from '../../wire/extensions/list.js';

export function encodeEncryptedExtensions(extensions: ReadonlyArray<{ type: number; data: Uint8Array }>): Uint8Array {
  return buildHandshake(HandshakeType.encrypted_extensions, (w) => writeExtensionList(w, extensions));
}

export function decodeEncryptedExtensions(raw: Uint8Array): RawExtension[] {
  const { body } = readHandshakeFrame(raw, HandshakeType.encrypted_extensions);
  const r = new Reader(body);
  const list = readExtensionList(r, 'encrypted_extensions', 4);
  r.expectEnd('encrypted_extensions');
  return list;
}
