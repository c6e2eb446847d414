// extended_master_secret (RFC 7627 §5.1): a TLS 1.2 extension with empty data.
import { decodeEmpty } from './empty.js';

export function decodeExtendedMasterSecret(data: Uint8Array): true {
  decodeEmpty(data, 'extended_master_secret');
  return true;
}
