// TLS material for connecting to an origin, loaded once per (client certificate, CA bundle)
// pair: a SecureContext plus the non-secret fingerprints that go into pool keys.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { OriginRule } from '../config/model.js';
import { OriginError } from './errors.js';

export interface TlsMaterial {
  readonly secureContext: SecureContext;
  /** SHA-256 fingerprint of the client certificate (colon-separated hex), '' without one. */
  readonly clientCertFingerprint: string;
  /** First 16 hex chars of SHA-256 of the CA bundle, or `system`. */
  readonly caHash: string;
}

/** Debian/Ubuntu and RHEL system bundles, and OpenSSL's override; used when a rule names no CA. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

export class MaterialCache {
  private readonly byFiles = new Map<string, TlsMaterial>();
  private systemCa: string | null | undefined;

  /** Material for a rule's `verify.ca` and `client_cert` (reads files on first use; throws OriginError). */
  forRule(rule: OriginRule): TlsMaterial {
    // with verify: none no trust store is needed ('-' loads none)
    const ca = rule.verify.mode === 'none' ? '-' : (rule.verify.ca ?? '');
    const cert = rule.clientCert?.cert ?? '';
    const key = rule.clientCert?.key ?? '';
    const id = `${ca}\0${cert}\0${key}`;
    let material = this.byFiles.get(id);
    if (!material) {
      material = this.load(ca, cert, key);
      this.byFiles.set(id, material);
    }
    return material;
  }

  private load(caFile: string, certFile: string, keyFile: string): TlsMaterial {
    let caPem: string | undefined;
    let caHash = 'system';
    try {
      if (caFile === '-') {
        caHash = 'none';
      } else if (caFile) {
        caPem = readFileSync(caFile, 'utf8');
        caHash = createHash('sha256').update(caPem).digest('hex').slice(0, 16);
      } else {
        caPem = this.systemBundle();
      }
    } catch (err) {
      throw new OriginError('material_failed', `cannot read origin CA bundle ${caFile}`, { cause: err });
    }
    let cert: string | undefined;
    let key: string | undefined;
    let fingerprint = '';
    if (certFile && keyFile) {
      try {
        cert = readFileSync(certFile, 'utf8');
        key = readFileSync(keyFile, 'utf8');
        fingerprint = new X509Certificate(cert).fingerprint256;
      } catch (err) {
        // the message names the files, never their contents (a key must not reach logs)
        throw new OriginError('material_failed', `cannot load origin client certificate ${certFile} / ${keyFile}`, { cause: stripCause(err) });
      }
    }
    try {
      const secureContext = createSecureContext({ ...(caPem !== undefined ? { ca: caPem } : {}), ...(cert && key ? { cert, key } : {}) });
      return { secureContext, clientCertFingerprint: fingerprint, caHash };
    } catch (err) {
      throw new OriginError('material_failed', `cannot build a TLS context for origin client certificate ${certFile || '(none)'} / CA ${caFile || '(system)'}`, { cause: stripCause(err) });
    }
  }

  /** The system trust store as PEM (undefined → Node's bundled roots). */
  private systemBundle(): string | undefined {
    if (this.systemCa === undefined) {
      const candidates = [process.env.SSL_CERT_FILE, ...SYSTEM_BUNDLES].filter((p): p is string => !!p);
      const found = candidates.find((p) => existsSync(p));
      this.systemCa = found ? readFileSync(found, 'utf8') : null;
    }
    return this.systemCa ?? undefined;
  }
}

/** Keeps only the code and a generic message of an error that might quote key material. */
function stripCause(err: unknown): Error {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'unknown';
  return new Error(`TLS material error (${code})`);
}
