// The `certificates` section (multicert-style): names, cert chain, key file or signer key, a
// per-certificate ticket override, and the default certificate.
import type { Checker } from '../checker.js';
import type { CertificateConfig, CertificateKey } from '../model.js';
import { checkNamePattern } from './names.js';

export function checkCertificates(c: Checker, value: unknown): CertificateConfig[] {
  const items = c.list(['certificates'], value) ?? [];
  const out: CertificateConfig[] = [];
  items.forEach((item, i) => {
    const p = ['certificates', i] as const;
    const o = c.object(p, item, ['names', 'cert', 'key', 'tickets', 'default']);
    if (!o) return;
    c.required([...p, 'names'], o.names);
    const names = (c.list([...p, 'names'], o.names) ?? []).map((n, j) => checkNamePattern(c, [...p, 'names', j], n)).filter((n): n is string => !!n);
    if (o.names !== undefined && names.length === 0) c.issue([...p, 'names'], 'needs at least one name');
    if (!c.required([...p, 'cert'], o.cert) || !c.required([...p, 'key'], o.key)) return;
    const cert = c.file([...p, 'cert'], o.cert)!;
    const key = checkKey(c, [...p, 'key'], o.key);
    if (!key) return;
    const cfg: CertificateConfig = { index: i, id: names[0] ?? `cert-${i}`, names, cert, key, default: c.bool([...p, 'default'], o.default, false) };
    const t = c.object([...p, 'tickets'], o.tickets, ['enabled', 'key_file']);
    if (t) {
      cfg.tickets = {};
      if (t.enabled !== undefined) cfg.tickets.enabled = c.bool([...p, 'tickets', 'enabled'], t.enabled, true);
      const kf = c.file([...p, 'tickets', 'key_file'], t.key_file);
      if (kf) cfg.tickets.keyFile = kf;
    }
    out.push(cfg);
  });
  const defaults = out.filter((x) => x.default);
  if (defaults.length > 1) c.issue(['certificates', defaults[1]!.index, 'default'], `only one certificate may be the default (certificates[${defaults[0]!.index}] already is)`);
  if (out.length > 0 && defaults.length === 0) out[0]!.default = true; // first one serves unknown names
  const seen = new Map<string, number>();
  for (const cert of out) {
    for (const name of cert.names) {
      const prev = seen.get(name);
      if (prev !== undefined) c.issue(['certificates', cert.index, 'names'], `name ${JSON.stringify(name)} is already served by certificates[${prev}]`);
      else seen.set(name, cert.index);
    }
  }
  return out;
}

function checkKey(c: Checker, path: ReadonlyArray<string | number>, value: unknown): CertificateKey | undefined {
  if (typeof value === 'string') {
    const file = c.file(path, value);
    return file ? { kind: 'file', path: file } : undefined;
  }
  const o = c.object(path, value, ['file', 'passphrase_env', 'signer', 'label', 'id', 'uri']);
  if (!o) return undefined;
  if (o.file !== undefined) {
    const file = c.file([...path, 'file'], o.file);
    if (!file) return undefined;
    const key: CertificateKey = { kind: 'file', path: file };
    const env = c.string([...path, 'passphrase_env'], o.passphrase_env);
    if (env) key.passphraseEnv = env;
    return key;
  }
  if (o.signer === undefined) {
    c.issue(path, 'needs either a key file (`key: certs/x.key` or `file:`) or a signer key (`signer:` with `label:`, `id:` or `uri:`)');
    return undefined;
  }
  const signer = c.string([...path, 'signer'], o.signer);
  if (!signer) return undefined;
  const key: CertificateKey = { kind: 'signer', signer };
  const label = c.string([...path, 'label'], o.label);
  const id = c.string([...path, 'id'], typeof o.id === 'number' ? String(o.id) : o.id);
  const uri = c.string([...path, 'uri'], o.uri);
  if (label) key.label = label;
  if (id) key.id = id;
  if (uri) {
    if (!uri.startsWith('pkcs11:')) c.issue([...path, 'uri'], 'expected an RFC 7512 URI starting with "pkcs11:"');
    key.uri = uri;
  }
  if (!label && !id && !uri) c.issue(path, 'a signer key needs `label:`, `id:` or `uri:`');
  return key;
}
