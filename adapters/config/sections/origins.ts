// The `origins` section: remap rules from (host, path prefix) to an origin URL, with SNI, Host
// header, verification, client certificate and pool-reuse policy per rule.
import type { Checker } from '../checker.js';
import type { OriginRule } from '../model.js';
import { checkNamePattern } from './names.js';

export function checkOrigins(c: Checker, value: unknown): OriginRule[] {
  const items = c.list(['origins'], value) ?? [];
  const out: OriginRule[] = [];
  items.forEach((item, i) => {
    const p = ['origins', i] as const;
    const o = c.object(p, item, ['match', 'to', 'sni', 'host_header', 'verify', 'client_cert', 'protocols', 'pool', 'timeouts']);
    if (!o) return;
    const m = c.object([...p, 'match'], o.match, ['host', 'path_prefix']) ?? {};
    const host = m.host === undefined ? undefined : checkNamePattern(c, [...p, 'match', 'host'], m.host);
    const pathPrefix = c.string([...p, 'match', 'path_prefix'], m.path_prefix, '/');
    if (!pathPrefix.startsWith('/')) c.issue([...p, 'match', 'path_prefix'], 'must start with /');
    if (!c.required([...p, 'to'], o.to)) return;
    const toRaw = c.string([...p, 'to'], o.to);
    if (!toRaw) return;
    let url: URL;
    try {
      url = new URL(toRaw);
    } catch {
      c.issue([...p, 'to'], `expected an http:// or https:// URL, got ${JSON.stringify(toRaw)}`);
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      c.issue([...p, 'to'], `expected an http:// or https:// URL, got ${JSON.stringify(toRaw)}`);
      return;
    }
    const https = url.protocol === 'https:';
    const sniRaw = c.string([...p, 'sni'], o.sni, 'preserve');
    const sni: OriginRule['sni'] = sniRaw === 'preserve' ? { mode: 'preserve' } : sniRaw === 'origin' ? { mode: 'origin' } : { mode: 'literal', name: sniRaw.toLowerCase() };
    const v = c.object([...p, 'verify'], typeof o.verify === 'string' ? { mode: o.verify } : o.verify, ['mode', 'ca']) ?? {};
    const verifyMode = c.oneOf([...p, 'verify', 'mode'], v.mode, ['strict', 'permissive', 'none'] as const, 'strict');
    const pool = c.object([...p, 'pool'], o.pool, ['match', 'max_idle', 'idle_timeout', 'max_connections']) ?? {};
    const t = c.object([...p, 'timeouts'], o.timeouts, ['connect', 'response']) ?? {};
    const protocols = c.stringList([...p, 'protocols'], o.protocols) ?? ['http/1.1'];
    for (const [j, proto] of protocols.entries()) {
      if (proto !== 'http/1.1' && proto !== 'h2') c.issue([...p, 'protocols', j], `expected http/1.1 or h2, got ${JSON.stringify(proto)}`);
    }
    const rule: OriginRule = {
      index: i,
      match: { pathPrefix, ...(host ? { host } : {}) },
      to: {
        url: toRaw,
        protocol: url.protocol as 'http:' | 'https:',
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : https ? 443 : 80,
        basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
      },
      sni,
      hostHeader: c.oneOf([...p, 'host_header'], o.host_header, ['preserve', 'origin'] as const, 'preserve'),
      verify: { mode: verifyMode },
      protocols,
      pool: {
        match: c.oneOf([...p, 'pool', 'match'], pool.match, ['sni', 'host', 'ip', 'lax'] as const, 'sni'),
        maxIdle: c.int([...p, 'pool', 'max_idle'], pool.max_idle, 64, 0),
        idleTimeoutMs: c.duration([...p, 'pool', 'idle_timeout'], pool.idle_timeout, 30_000),
        maxConnections: c.int([...p, 'pool', 'max_connections'], pool.max_connections, 1024, 1),
      },
      timeouts: {
        connectMs: c.duration([...p, 'timeouts', 'connect'], t.connect, 5_000),
        responseMs: c.duration([...p, 'timeouts', 'response'], t.response, 30_000),
      },
    };
    const ca = c.file([...p, 'verify', 'ca'], v.ca);
    if (ca) rule.verify.ca = ca;
    const cc = c.object([...p, 'client_cert'], o.client_cert, ['cert', 'key']);
    if (cc) {
      const cert = c.file([...p, 'client_cert', 'cert'], cc.cert);
      const key = c.file([...p, 'client_cert', 'key'], cc.key);
      if (!cert) c.required([...p, 'client_cert', 'cert'], cc.cert);
      if (!key) c.required([...p, 'client_cert', 'key'], cc.key);
      if (cert && key) rule.clientCert = { cert, key };
    }
    if (!https && (o.client_cert !== undefined || o.verify !== undefined || (o.sni !== undefined && o.sni !== 'preserve'))) {
      c.issue([...p, 'to'], 'sni, verify and client_cert only apply to https:// origins');
    }
    out.push(rule);
  });
  return out;
}
