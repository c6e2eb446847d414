// Turns a TLS policy (an `sni` rule plus its certificate) into node:tls server options. Options on
// an SNICallback context are ignored by Node (PLATFORM-FACTS), so each policy gets its own server.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { CertificateConfig, SniRule } from '../../config/model.js';
import type { KeyMaterial } from './key-material.js';

const tls13Default = tls.DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_')).join(':');
const tls12Default = tls.DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_')).join(':');

const versionName = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' } as const;

export interface NativePolicy {
  /** policyId: servers are shared by connections with the same id. */
  id: string;
  rule: SniRule;
  certificate: CertificateConfig;
}

export function serverOptions(policy: NativePolicy, material: KeyMaterial, handshakeTimeoutMs: number): tls.TlsOptions {
  const { rule } = policy;
  const options: tls.TlsOptions = {
    cert: material.cert,
    key: material.key,
    minVersion: versionName[rule.tls.min],
    maxVersion: versionName[rule.tls.max],
    ciphers: `${rule.tls.ciphersuites ?? tls13Default}:${rule.tls.ciphers ?? tls12Default}`,
    ALPNProtocols: rule.alpn,
    handshakeTimeout: handshakeTimeoutMs,
    // Prefer the server's order: the operator's cipher list is a policy, not a suggestion.
    honorCipherOrder: true,
  };
  if (rule.tls.groups?.length) options.ecdhCurve = rule.tls.groups.join(':');
  if (rule.clientCert.mode !== 'none') {
    options.requestCert = true;
    // Verification is done after the handshake so a refusal can be explained (PLATFORM-FACTS:
    // rejectUnauthorized in TLS 1.3 gives the client a bare close).
    options.rejectUnauthorized = false;
    if (rule.clientCert.ca) options.ca = readFileSync(rule.clientCert.ca, 'utf8');
  }
  return options;
}
