// Chooses a connection's TLS policy from its ClientHello: the first matching `sni` rule and the
// certificate to serve. Pure (config + hello facts in, decision out), so `replay` can re-run it
// against another config and say whether the decision would change.
import { createHash } from 'node:crypto';
import type { CertificateConfig, SniRule, TlsedgeConfig } from '../../adapters/config/model.js';
import { DEFAULT_ALPN } from '../../adapters/config/sections/sni.js';
import { withMemoizedJsonText } from '../../bus/event-json.js';
import type { ConnectionEventData } from './events.js';
import { matchCertificateName, matchRulePattern } from './names.js';

export interface PolicyDecision {
  rule: SniRule;
  certificate: CertificateConfig | undefined;
  /** The policy_selected event data. */
  facts: ConnectionEventData['policy_selected'];
}

/** The rule applied when no `sni` rule matches: any name, default ALPN, TLS 1.2–1.3, no client certs. */
export const DEFAULT_RULE: SniRule = {
  index: -1,
  match: '*',
  alpn: DEFAULT_ALPN,
  tls: { min: '1.2', max: '1.3' },
  clientCert: { mode: 'none', forwardHeaders: false },
  engine: 'native',
};

/**
 * The `sni` label of the handshake metrics: the sni rule that matched or, where only the built-in
 * default rule applies, the served certificate's name — always a configured name, never the
 * client's SNI, so the label set stays as small as the config.
 */
export function metricsName(policy: PolicyDecision | undefined): string {
  if (!policy) return 'none';
  return policy.facts.matchedBy === 'default' ? (policy.facts.certificate ?? 'none') : policy.facts.match;
}

/** Returns the SHA-256 fingerprint of a certificate's leaf, hex (or null when unreadable). */
export type FingerprintOf = (certificate: CertificateConfig) => string | null;

export class PolicySelector {
  private readonly cache = new Map<string, PolicyDecision>();

  constructor(
    private readonly config: Pick<TlsedgeConfig, 'sni' | 'certificates'>,
    private readonly fingerprintOf: FingerprintOf = () => null,
  ) {}

  /** The decision for an SNI (null: no SNI). Decisions are cached per name: configs are immutable. */
  select(sni: string | null): PolicyDecision {
    const cacheKey = sni ?? '';
    let decision = this.cache.get(cacheKey);
    if (!decision) {
      decision = selectPolicy(this.config, sni, this.fingerprintOf);
      // every connection of this name records these same facts: encode them once
      withMemoizedJsonText(decision.facts);
      if (this.cache.size > 10_000) this.cache.clear(); // bounded: SNI is attacker-chosen
      this.cache.set(cacheKey, decision);
    }
    return decision;
  }

  /** The rule a request's Host would have selected (HTTP/1.1 Host and h2 :authority checks). */
  ruleFor(host: string | null): SniRule {
    return this.select(host).rule;
  }
}

export function selectPolicy(config: Pick<TlsedgeConfig, 'sni' | 'certificates'>, sni: string | null, fingerprintOf: FingerprintOf = () => null): PolicyDecision {
  let rule = DEFAULT_RULE;
  let matchedBy: PolicyDecision['facts']['matchedBy'] = 'default';
  for (const candidate of config.sni) {
    const how = matchRulePattern(candidate.match, sni);
    if (how) {
      rule = candidate;
      matchedBy = how;
      break;
    }
  }
  const { certificate, certificateBy } = rule.tunnel ? { certificate: undefined, certificateBy: 'none' as const } : pickCertificate(config.certificates, rule, sni);
  const facts: PolicyDecision['facts'] = {
    rule: rule.index,
    match: rule.match,
    matchedBy,
    certificate: certificate?.id ?? null,
    certificateFingerprint: certificate ? fingerprintOf(certificate) : null,
    certificateBy,
    // The engine that terminates it: a certificate held by a signer implies the offload engine.
    engine: rule.engine === 'offload' || certificate?.key.kind === 'signer' ? 'offload' : 'native',
    alpn: rule.alpn,
    tls: { min: rule.tls.min, max: rule.tls.max },
    clientCert: rule.clientCert.mode,
    tunnel: rule.tunnel ? `${rule.tunnel.host}:${rule.tunnel.port}` : null,
    policyId: policyId(rule, certificate),
  };
  return { rule, certificate, facts };
}

function pickCertificate(certificates: CertificateConfig[], rule: SniRule, sni: string | null): { certificate: CertificateConfig | undefined; certificateBy: PolicyDecision['facts']['certificateBy'] } {
  if (rule.certificate) {
    const named = certificates.find((c) => c.id === rule.certificate || c.names.includes(rule.certificate!));
    if (named) return { certificate: named, certificateBy: 'rule' };
  }
  if (sni !== null) {
    let wildcard: CertificateConfig | undefined;
    for (const cert of certificates) {
      for (const name of cert.names) {
        const how = matchCertificateName(name, sni);
        if (how === 'exact') return { certificate: cert, certificateBy: 'exact' };
        if (how === 'wildcard' && !wildcard) wildcard = cert;
      }
    }
    if (wildcard) return { certificate: wildcard, certificateBy: 'wildcard' };
  }
  const fallback = certificates.find((c) => c.default);
  return { certificate: fallback, certificateBy: fallback ? 'default' : 'none' };
}

/**
 * A short id of everything that makes a policy's TLS what it is: connections (and tickets) under
 * the same id are interchangeable; under different ids they must never be mixed.
 */
export function policyId(rule: SniRule, certificate: CertificateConfig | undefined): string {
  const identity = JSON.stringify([rule.alpn, rule.tls, rule.clientCert, rule.engine, rule.tunnel ?? null, certificate?.cert ?? null, certificate?.key ?? null]);
  return createHash('sha256').update(identity).digest('base64url').slice(0, 12);
}
