// renegotiation_info (RFC 5746 §3.2): a TLS 1.2 extension; in an initial ClientHello it is empty
// renegotiated_connection data (one zero length byte).
import { decodeWhole, encodeWith } from './codec.js';

export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  return decodeWhole(data, 'renegotiation_info', (r) => r.vector(1, 'renegotiated_connection', 0, 255));
}

export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array {
  return encodeWith((w) => w.vector(1, (v) => v.bytes(renegotiatedConnection)));
}
