// Host name matching for `sni` rules, origin rules and certificates. Rules use `*.suffix` for
// any depth below the suffix (like nginx server_name); certificates use X.509 wildcard semantics
// (exactly one label, RFC 6125 §6.4.3), since that is what a client will accept.

export type NameMatch = 'exact' | 'wildcard' | 'catch_all';

/** How `pattern` matches `name` as a rule pattern, or undefined. `name` must be lowercase. */
export function matchRulePattern(pattern: string, name: string | null): NameMatch | undefined {
  if (pattern === '*') return 'catch_all';
  if (name === null) return undefined;
  if (pattern === name) return 'exact';
  if (pattern.startsWith('*.') && name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1) return 'wildcard';
  return undefined;
}

/** How a certificate name matches `name` (one-label wildcard), or undefined. */
export function matchCertificateName(certName: string, name: string): 'exact' | 'wildcard' | undefined {
  if (certName === name) return 'exact';
  if (certName.startsWith('*.')) {
    const dot = name.indexOf('.');
    if (dot > 0 && name.slice(dot) === certName.slice(1)) return 'wildcard';
  }
  return undefined;
}
