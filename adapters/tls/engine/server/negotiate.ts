// Policy decisions only (Go's crypto/tls split): which suite, group, certificate and signature
// scheme, and ALPN protocol, given the ClientHello and this name's policy. No state, no I/O.
import type { ClientHello } from '../../wire/client-hello.js';
import { TlsError } from '../../wire/errors.js';
import type { CryptoProvider } from '../provider.js';
import { suiteByCode, type Tls13Suite } from '../suites.js';
import type { CertifiedKey, ServerPolicy } from './policy.js';

/** The first suite in server preference order that the client offers (RFC 8446 §4.1.1). */
export function selectSuite(policy: ServerPolicy, hello: ClientHello): Tls13Suite | undefined {
  for (const code of policy.suites) {
    const suite = suiteByCode(code);
    if (suite && hello.cipherSuites.includes(code)) return suite;
  }
  return undefined;
}

export type GroupChoice =
  | { readonly kind: 'share'; readonly group: number; readonly clientShare: Uint8Array }
  | { readonly kind: 'retry'; readonly group: number }
  | { readonly kind: 'none' };

/**
 * A group both sides support. Among them, one the client already sent a key share for wins, in
 * server preference order, so a round trip is saved; otherwise the most preferred mutual group
 * is requested with a HelloRetryRequest (RFC 8446 §4.1.4).
 */
export function selectGroup(policy: ServerPolicy, hello: ClientHello, provider: CryptoProvider): GroupChoice {
  const offered = hello.supportedGroups ?? [];
  const shares = hello.keyShares ?? [];
  for (const share of shares) {
    // RFC 8446 §4.2.8: "Each KeyShareEntry value MUST correspond to a group offered in supported_groups".
    if (!offered.includes(share.group)) throw new TlsError('illegal_parameter', `key_share for group ${share.group} not in supported_groups`);
  }
  const mutual = policy.groups.filter((g) => offered.includes(g) && provider.supportsGroup(g));
  for (const group of mutual) {
    const share = shares.find((s) => s.group === group);
    if (share) return { kind: 'share', group, clientShare: share.keyExchange };
  }
  const first = mutual[0];
  return first === undefined ? { kind: 'none' } : { kind: 'retry', group: first };
}

/** The first certificate whose key can sign a scheme the client accepts, and that scheme (§4.4.2.2). */
export function selectCertificate(policy: ServerPolicy, hello: ClientHello): { certificate: CertifiedKey; scheme: number } | undefined {
  const accepted = hello.signatureAlgorithms ?? [];
  for (const certificate of policy.certificates) {
    for (const scheme of certificate.key.schemes) {
      if (accepted.includes(scheme)) return { certificate, scheme };
    }
  }
  return undefined;
}

/**
 * The first protocol in the policy's order that the client offers (RFC 7301 §3.2). A client
 * that offers ALPN but shares none with a policy that has some gets no_application_protocol.
 */
export function selectAlpn(policy: ServerPolicy, hello: ClientHello): string | undefined {
  if (!hello.alpn || policy.alpn.length === 0) return undefined;
  const chosen = policy.alpn.find((p) => hello.alpn!.includes(p));
  if (chosen === undefined) throw new TlsError('no_application_protocol', `none of [${hello.alpn.join(', ')}] is allowed for this name`);
  return chosen;
}
