// Client certificate chain verification for the offload engine (RFC 8446 §4.4.2.4 leaves the
// policy to the server): every certificate in its validity period, each signed by the next, and
// the chain ending at — or issued by — one of the policy's trust anchors.
import { X509Certificate } from 'node:crypto';
import type { ChainVerdict } from '../engine/provider.js';

const parsedAnchors = new WeakMap<readonly Uint8Array[], X509Certificate[]>();

export function verifyChain(chain: readonly Uint8Array[], trustAnchors: readonly Uint8Array[], nowMs: number): ChainVerdict {
  if (chain.length === 0) return { ok: false, code: 'bad_certificate', reason: 'empty chain' };
  if (trustAnchors.length === 0) return { ok: false, code: 'unknown_ca', reason: 'no trust anchors configured' };
  let certs: X509Certificate[];
  try {
    certs = chain.map((der) => new X509Certificate(der));
  } catch {
    return { ok: false, code: 'bad_certificate', reason: 'certificate does not parse' };
  }
  const anchors = anchorsFor(trustAnchors);
  for (let i = 0; i < certs.length; i++) {
    const cert = certs[i]!;
    if (nowMs < Date.parse(cert.validFrom) || nowMs > Date.parse(cert.validTo)) {
      return { ok: false, code: 'certificate_expired', reason: `certificate ${i} is outside its validity period` };
    }
    // Anchored here: the certificate is a trust anchor, or one signed it.
    for (const anchor of anchors) {
      if (cert.raw.equals(anchor.raw)) return { ok: true };
      if (cert.checkIssued(anchor) && anchor.ca && cert.verify(anchor.publicKey)) return { ok: true };
    }
    const issuer = certs[i + 1];
    if (!issuer) break;
    if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      return { ok: false, code: 'bad_certificate', reason: `certificate ${i} is not signed by certificate ${i + 1}` };
    }
  }
  return { ok: false, code: 'unknown_ca', reason: 'chain does not lead to a trusted CA' };
}

function anchorsFor(trustAnchors: readonly Uint8Array[]): X509Certificate[] {
  let parsed = parsedAnchors.get(trustAnchors);
  if (!parsed) {
    parsed = [];
    for (const der of trustAnchors) {
      try {
        parsed.push(new X509Certificate(der));
      } catch {
        // an unparsable anchor anchors nothing
      }
    }
    parsedAnchors.set(trustAnchors, parsed);
  }
  return parsed;
}
