// Leaf certificate fingerprints (SHA-256 of the DER), read once per certificate file.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertificateConfig } from '../../adapters/config/model.js';
import type { FingerprintOf } from './policy.js';

export function fileFingerprints(): FingerprintOf {
  const cache = new Map<string, string | null>();
  return (certificate: CertificateConfig) => {
    let fp = cache.get(certificate.cert);
    if (fp === undefined) {
      try {
        fp = new X509Certificate(readFileSync(certificate.cert)).fingerprint256.replace(/:/g, '').toLowerCase();
      } catch {
        fp = null;
      }
      cache.set(certificate.cert, fp);
    }
    return fp;
  };
}
