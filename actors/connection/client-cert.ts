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

/** Why a connection is refused for its client certificate (recorded as `handshake_failed`). */
export interface ClientCertRefusal {
  /** `client_cert_missing` (mode `require`, none sent) or `client_cert_untrusted` (sent, not verified by the rule's CA). */
  reason: 'client_cert_missing' | 'client_cert_untrusted';
  /** Explanation for the event and the client: the rule, the certificate's subject and issuer, the verification error. */
  message: string;
}

/**
 * Whether an `sni` rule's `client_cert` policy refuses this handshake. `require` needs a certificate
 * that verified against the rule's CA; `request` lets clients without one in, but a certificate that
 * was presented and does not verify is refused (never passed on as if it were trusted). Node's
 * `rejectUnauthorized` would close a TLS 1.3 client without a word (PLATFORM-FACTS), so the server
 * only requests certificates and this decision, taken right after the handshake, explains itself.
 */
export function clientCertRefusal(rule: { match: string; index: number; clientCert: { mode: 'none' | 'request' | 'require' } }, cert: ClientCertFacts | undefined): ClientCertRefusal | undefined {
  const mode = rule.clientCert.mode;
  if (mode === 'none') return undefined;
  const name = rule.index < 0 ? 'the default rule' : `sni rule "${rule.match}"`;
  if (!cert) {
    if (mode === 'request') return undefined;
    return { reason: 'client_cert_missing', message: `${name} requires a client certificate (client_cert: require) and none was sent` };
  }
  if (cert.authorized) return undefined;
  return {
    reason: 'client_cert_untrusted',
    message: `client certificate "${cert.subject}" issued by "${cert.issuer}" is not trusted by ${name} (client_cert: ${mode}): ${cert.error ?? 'verification failed'}`,
  };
}
