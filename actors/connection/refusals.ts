// Why a client was refused, in words an operator can act on: what the ClientHello offered against
// what its `sni` rule allows (ALPN, versions, ciphers, groups). Pure; used for the
// `handshake_failed` message next to the stable reason code.
import type { SniRule } from '../../adapters/config/model.js';
import type { HelloFacts } from './events.js';

/** A hello without ALPN speaks HTTP/1.1 (RFC 7301 §3.1): refused when the rule allows only other protocols. */
export function refusesMissingAlpn(rule: SniRule, hello: HelloFacts): boolean {
  return !rule.tunnel && hello.alpn.length === 0 && !rule.alpn.includes('http/1.1');
}

/** The handshake_failed message for a native-engine failure `reason` (classify() in adapters/tls/native/engine.ts). */
export function explainHandshakeFailure(reason: string, openssl: string, hello: HelloFacts | undefined, rule: SniRule | undefined): string {
  const detail = opensslReason(openssl);
  const suffix = detail ? ` (OpenSSL: ${detail})` : '';
  if (!hello || !rule) return openssl.trim();
  const name = ruleName(rule);
  switch (reason) {
    case 'no_application_protocol':
      return hello.alpn.length === 0
        ? `the client offered no ALPN (HTTP/1.1); ${name} allows [${rule.alpn.join(', ')}]${suffix}`
        : `the client offered ALPN [${hello.alpn.join(', ')}]; ${name} allows [${rule.alpn.join(', ')}]${suffix}`;
    case 'protocol_version':
      return `the client offered TLS [${hello.versions.join(', ')}]; ${name} allows TLS ${rule.tls.min}–${rule.tls.max}${suffix}`;
    case 'no_shared_cipher':
      return `no cipher suite in common: the client offered ${hello.cipherSuites.length} (TLS [${hello.versions.join(', ')}]); ${name} allows ${rule.tls.ciphersuites || rule.tls.ciphers ? `ciphersuites ${rule.tls.ciphersuites ?? 'default'}, ciphers ${rule.tls.ciphers ?? 'default'}` : 'the default suites'}${rule.tls.groups ? ` with groups [${rule.tls.groups.join(', ')}]` : ''}${suffix}`;
    case 'no_shared_group':
      return `no key-exchange group in common: the client offered [${hello.groups.join(', ')}]; ${name} allows [${rule.tls.groups?.join(', ') ?? 'the defaults'}]${suffix}`;
    default:
      return openssl.trim();
  }
}

function ruleName(rule: SniRule): string {
  return rule.index < 0 ? 'the default sni rule' : `sni rule "${rule.match}"`;
}

/** `8011…:error:0A0000EB:SSL routines:tls_handle_alpn:no application protocol:../ssl/…:2172:` → `no application protocol`. */
function opensslReason(message: string): string | undefined {
  const parts = message.split(':');
  return parts.length >= 6 && parts[1] === 'error' ? parts[5]!.trim() : undefined;
}
