// The `sni` section: ordered per-hostname TLS policy rules (first match wins).
import type { Checker } from '../checker.js';
import type { SniRule, TlsVersion } from '../model.js';
import { checkNamePattern } from './names.js';

// What a name may negotiate unless its rule says otherwise: HTTP/2 first (adapters/http/h2), then HTTP/1.1.
export const DEFAULT_ALPN = ['h2', 'http/1.1'];

const versions = ['1.2', '1.3'] as const;

export function checkSni(c: Checker, value: unknown): SniRule[] {
  const items = c.list(['sni'], value) ?? [];
  const out: SniRule[] = [];
  items.forEach((item, i) => {
    const p = ['sni', i] as const;
    const o = c.object(p, item, ['match', 'alpn', 'tls', 'client_cert', 'engine', 'tunnel', 'certificate']);
    if (!o) return;
    c.required([...p, 'match'], o.match);
    const match = checkNamePattern(c, [...p, 'match'], o.match);
    const tls = c.object([...p, 'tls'], o.tls, ['min', 'max', 'ciphers', 'ciphersuites', 'groups']) ?? {};
    const min = c.oneOf([...p, 'tls', 'min'], asVersion(tls.min), versions, '1.2') as TlsVersion;
    const max = c.oneOf([...p, 'tls', 'max'], asVersion(tls.max), versions, '1.3') as TlsVersion;
    if (min > max) c.issue([...p, 'tls'], `min ${min} is above max ${max}`);
    const cc = c.object([...p, 'client_cert'], o.client_cert, ['mode', 'ca', 'forward_headers']) ?? {};
    const mode = c.oneOf([...p, 'client_cert', 'mode'], cc.mode, ['none', 'request', 'require'] as const, 'none');
    const ca = c.file([...p, 'client_cert', 'ca'], cc.ca);
    if (mode !== 'none' && !ca) c.issue([...p, 'client_cert', 'ca'], `client_cert mode ${mode} needs a CA bundle (ca: file.pem) to verify client certificates against`);
    const alpn = c.stringList([...p, 'alpn'], o.alpn) ?? DEFAULT_ALPN;
    if (o.alpn !== undefined && alpn.length === 0) c.issue([...p, 'alpn'], 'needs at least one protocol (e.g. [http/1.1])');
    const rule: SniRule = {
      index: i,
      match: match ?? '*',
      alpn,
      tls: { min, max },
      clientCert: { mode, forwardHeaders: c.bool([...p, 'client_cert', 'forward_headers'], cc.forward_headers, false) },
      engine: c.oneOf([...p, 'engine'], o.engine, ['native', 'offload'] as const, 'native'),
    };
    if (ca) rule.clientCert.ca = ca;
    const ciphers = c.string([...p, 'tls', 'ciphers'], tls.ciphers);
    if (ciphers) rule.tls.ciphers = ciphers;
    const suites = c.string([...p, 'tls', 'ciphersuites'], tls.ciphersuites);
    if (suites) rule.tls.ciphersuites = suites;
    const groups = c.stringList([...p, 'tls', 'groups'], tls.groups);
    if (groups) rule.tls.groups = groups;
    const tunnel = c.hostPort([...p, 'tunnel'], o.tunnel);
    if (tunnel) rule.tunnel = tunnel;
    const certificate = c.string([...p, 'certificate'], o.certificate);
    if (certificate) rule.certificate = certificate.toLowerCase();
    out.push(rule);
  });
  return out;
}

/** YAML reads `1.3` as a number; accept both spellings. */
function asVersion(v: unknown): unknown {
  return typeof v === 'number' ? v.toFixed(1) : v;
}
