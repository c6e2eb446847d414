// The `signers` section: where private keys live (software files or a PKCS#11 token) and how much
// concurrent work each signer accepts.
import type { Checker } from '../checker.js';
import type { SignerConfig } from '../model.js';

export function checkSigners(c: Checker, value: unknown): SignerConfig[] {
  const items = c.list(['signers'], value) ?? [];
  const out: SignerConfig[] = [];
  const names = new Set<string>();
  items.forEach((item, i) => {
    const p = ['signers', i] as const;
    const o = c.object(p, item, ['name', 'type', 'module', 'token', 'slot', 'uri', 'pin_env', 'pin_file', 'workers', 'max_queue', 'per_key_concurrency', 'timeout', 'keys', 'env', 'offload']);
    if (!o) return;
    c.required([...p, 'name'], o.name);
    const name = c.string([...p, 'name'], o.name);
    if (!name) return;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) c.issue([...p, 'name'], 'may only contain letters, digits, _ and -');
    if (names.has(name)) c.issue([...p, 'name'], `signer ${JSON.stringify(name)} is defined twice`);
    names.add(name);
    const type = c.oneOf([...p, 'type'], o.type, ['software', 'pkcs11'] as const, 'software');
    const cfg: SignerConfig = {
      index: i,
      name,
      type,
      workers: c.int([...p, 'workers'], o.workers, 2, 1, 64),
      maxQueue: c.int([...p, 'max_queue'], o.max_queue, 256, 0),
      perKeyConcurrency: c.int([...p, 'per_key_concurrency'], o.per_key_concurrency, type === 'pkcs11' ? 1 : 4, 1, 256),
      timeoutMs: c.duration([...p, 'timeout'], o.timeout, 2_000),
      keys: [],
      env: {},
    };
    if (type === 'pkcs11') {
      const uri = c.string([...p, 'uri'], o.uri);
      if (uri) {
        if (!uri.startsWith('pkcs11:')) c.issue([...p, 'uri'], 'expected an RFC 7512 URI starting with "pkcs11:"');
        cfg.uri = uri;
      }
      const uriHasModule = !!uri && /[;?]module-path=/.test(uri);
      if (!uriHasModule) c.required([...p, 'module'], o.module);
      const module = c.file([...p, 'module'], o.module);
      if (module) cfg.module = module;
      const token = c.string([...p, 'token'], o.token);
      if (token) cfg.token = token;
      if (o.slot !== undefined) cfg.slot = c.int([...p, 'slot'], o.slot, 0);
      if (!token && o.slot === undefined && !uri) c.issue(p, 'a pkcs11 signer needs `token:` (label), `slot:` or `uri:`');
      const pinEnv = c.string([...p, 'pin_env'], o.pin_env);
      const pinFile = c.file([...p, 'pin_file'], o.pin_file);
      if (pinEnv) cfg.pinEnv = pinEnv;
      if (pinFile) cfg.pinFile = pinFile;
      if (!pinEnv && !pinFile) c.issue(p, 'a pkcs11 signer needs `pin_env:` or `pin_file:` (the PIN itself never goes in the config)');
    }
    if (type === 'software' && o.offload !== undefined) cfg.offload = c.oneOf([...p, 'offload'], o.offload, ['libuv', 'piscina', 'inline'] as const, 'libuv');
    const keys = c.list([...p, 'keys'], o.keys) ?? [];
    keys.forEach((k, j) => {
      const ko = c.object([...p, 'keys', j], k, ['label', 'file', 'passphrase_env']);
      if (!ko) return;
      const label = c.string([...p, 'keys', j, 'label'], ko.label);
      const file = c.file([...p, 'keys', j, 'file'], ko.file);
      if (!label) c.required([...p, 'keys', j, 'label'], ko.label);
      if (!file) c.required([...p, 'keys', j, 'file'], ko.file);
      if (label && file) {
        const entry: SignerConfig['keys'][number] = { label, file };
        const env = c.string([...p, 'keys', j, 'passphrase_env'], ko.passphrase_env);
        if (env) entry.passphraseEnv = env;
        cfg.keys.push(entry);
      }
    });
    if (o.offload !== undefined) {
      if (type !== 'software') c.issue([...p, 'offload'], 'only applies to software signers (PKCS#11 calls always run in the worker pool)');
      cfg.offload = c.oneOf([...p, 'offload'], o.offload, ['libuv', 'piscina', 'inline'] as const, 'libuv');
    }
    if (type === 'software' && o.keys === undefined) c.issue([...p, 'keys'], 'a software signer needs `keys:` (label + file for each key)');
    const env = c.object([...p, 'env'], o.env, Object.keys((o.env as object | null) ?? {}));
    for (const [k, v] of Object.entries(env ?? {})) {
      const s = c.string([...p, 'env', k], typeof v === 'number' ? String(v) : v);
      if (s !== undefined) cfg.env[k] = s;
    }
    out.push(cfg);
  });
  return out;
}
