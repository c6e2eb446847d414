// certificate_authorities (RFC 8446 §4.2.4): DER distinguished names of acceptable CAs, sent by the
// server in a CertificateRequest so a client picks a certificate the server can verify.
import { decodeWhole, encodeWith } from './codec.js';

export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  return decodeWhole(data, 'certificate_authorities', (r) => {
    const list = r.sub(2, 'certificate_authorities', 3, 0xffff);
    const out: Uint8Array[] = [];
    while (!list.atEnd) out.push(list.vector(2, 'distinguished name', 1, 0xffff));
    return out;
  });
}

export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  return encodeWith((w) =>
    w.vector(2, (l) => {
      for (const n of names) l.vector(2, (v) => v.bytes(n));
    }),
  );
}
