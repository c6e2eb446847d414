// CertificateVerify (RFC 8446 §4.4.3): a signature over 64 spaces, a context string, a zero byte
// and the transcript hash. The engine builds the content; the host (signer) produces the signature.
import { HandshakeType } from '../../wire/enums.js';
import { buildHandshake, readHandshakeFrame } from '../../wire/handshake.js';
import { Reader } from '../../wire/reader.js';
import { utf8 } from '../bytes.js';

export interface CertificateVerify {
  readonly raw: Uint8Array;
  readonly scheme: number;
  readonly signature: Uint8Array;
}

const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');

/** The bytes the signature covers (§4.4.3): 0x20 × 64 || context string || 0x00 || transcript hash. */
export function certificateVerifyContent(side: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = side === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  return buildHandshake(HandshakeType.certificate_verify, (w) => w.u16(scheme).vector(2, (v) => v.bytes(signature)), signature.length + 16);
}

export function decodeCertificateVerify(raw: Uint8Array): CertificateVerify {
  const { body } = readHandshakeFrame(raw, HandshakeType.certificate_verify);
  const r = new Reader(body);
  const scheme = r.u16();
  const signature = r.vector(2, 'signature', 0, 0xffff);
  r.expectEnd('certificate_verify');
  return { raw, scheme, signature };
}
