// Facts about a client certificate for events and (opt-in) origin headers: subject, SANs,
// SHA-256 fingerprint, issuer, and whether it verified against the name's CA.
import type { TLSSocket } from 'node:tls';
import type { ClientCertFacts } from './events.js';

export function describeClientCertificate(tls: TLSSocket): ClientCertFacts | undefined {
  const cert = tls.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const facts: ClientCertFacts = {
    subject: formatName(cert.subject),
    san: cert.subjectaltname ? cert.subjectaltname.split(', ') : [],
    fingerprint: (cert.fingerprint256 ?? '').replace(/:/g, '').toLowerCase(),
    issuer: formatName(cert.issuer),
    authorized: tls.authorized,
  };
  if (!tls.authorized && tls.authorizationError) facts.error = String(tls.authorizationError);
  return facts;
}

function formatName(name: object | undefined): string {
  if (!name) return '';
  return Object.entries(name as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}
