// Turns an `sni` rule and its certificate into the offload engine's ServerPolicy (CONFIG.md `sni`,
// `certificates`): chain DER, the signing key's description (never the key), TLS 1.3 suites and
// groups from `tls.ciphersuites`/`tls.groups`, ALPN, client-certificate trust anchors, and the
// resumption mode. Built once per policy id; everything a handshake needs is then in memory.
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertificateConfig, SniRule, TlsedgeConfig } from '../../adapters/config/model.js';
import { algorithmOf } from '../../adapters/tls/crypto/software-signer.js';
import { DEFAULT_GROUPS, DEFAULT_SUITES, schemesFor, serverPolicy, type ServerPolicy, type SigningKey } from '../../adapters/tls/engine/server/policy.js';
import { CipherSuite, NamedGroup } from '../../adapters/tls/wire/enums.js';
import type { PolicyDecision } from '../connection/policy.js';
import type { OffloadPolicyResumption, OffloadResumption } from '../resumption/offload-resumption.js';

export class OffloadConfigError extends Error {
  override readonly name = 'OffloadConfigError';
  constructor(
    readonly code: 'unreadable' | 'bad_certificate' | 'bad_key' | 'key_mismatch' | 'unsupported_key' | 'tls_version' | 'no_suites' | 'no_groups' | 'bad_ca',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where a policy's CertificateVerify is signed: in this process (key file) or by a signer actor. */
export type KeyHolder = { readonly kind: 'file'; readonly key: KeyObject; readonly label: string } | { readonly kind: 'signer'; readonly signer: string; readonly ref: string };

export interface OffloadPolicy {
  readonly server: ServerPolicy;
  /** By SigningKey.id. */
  readonly holders: ReadonlyMap<string, KeyHolder>;
  readonly resumption: OffloadPolicyResumption | undefined;
}

/** TLS 1.3 suite names as OpenSSL and `tls.ciphersuites` spell them. */
const SUITES: Record<string, number> = {
  TLS_AES_128_GCM_SHA256: CipherSuite.TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384: CipherSuite.TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
};

/** Group names as OpenSSL (`ecdhCurve`) and people write them. */
const GROUPS: Record<string, number> = {
  x25519: NamedGroup.x25519,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
};

export class OffloadPolicies {
  private readonly policies = new Map<string, OffloadPolicy>();
  private readonly chains = new Map<string, Uint8Array[]>();
  private readonly anchors = new Map<string, Uint8Array[]>();
  private readonly keys = new Map<string, { key: SigningKey; holder: KeyHolder }>();

  constructor(
    private readonly config: Pick<TlsedgeConfig, 'sni' | 'certificates'>,
    private readonly resumption: OffloadResumption | undefined,
  ) {}

  /**
   * Checks everything the offload engine will need, so a bad certificate or rule is a startup
   * error naming its config path: every certificate held by a signer, and every rule on the engine.
   */
  prepare(): void {
    for (const cert of this.config.certificates) if (cert.key.kind === 'signer') this.signingKey(cert);
    for (const rule of this.config.sni) {
      if (rule.tunnel) continue;
      const named = rule.certificate ? this.config.certificates.find((c) => c.id === rule.certificate || c.names.includes(rule.certificate!)) : undefined;
      if (rule.engine !== 'offload' && named?.key.kind !== 'signer') continue;
      this.checkRule(rule);
      if (named) this.signingKey(named);
      else if (rule.engine === 'offload') for (const cert of this.config.certificates) this.signingKey(cert);
    }
  }

  /** The engine policy for a decision (cached by policy id). */
  forDecision(decision: PolicyDecision): OffloadPolicy {
    const id = decision.facts.policyId;
    let policy = this.policies.get(id);
    if (policy) return policy;
    const certificate = decision.certificate!;
    this.checkRule(decision.rule);
    const { key, holder } = this.signingKey(certificate);
    const resumption = this.resumption?.forPolicy({ id, rule: decision.rule, certificate });
    const rule = decision.rule;
    const clientAuth = rule.clientCert.mode === 'none' ? { mode: 'none' as const, trustAnchors: [] } : { mode: rule.clientCert.mode, trustAnchors: this.trustAnchors(rule) };
    const server = serverPolicy({
      id,
      certificates: [{ chain: this.chain(certificate), key }],
      alpn: rule.alpn,
      suites: suitesOf(rule),
      groups: groupsOf(rule),
      clientAuth,
      resumption: (resumption?.mode ?? 'off') !== 'off',
      // Two tickets, as OpenSSL sends: a browser opening a second connection has one to spend.
      tickets: { mode: resumption?.mode ?? 'off', lifetimeSeconds: resumption?.lifetimeSeconds ?? 7200, count: 2, maxEarlyData: 0 },
    });
    policy = { server, holders: new Map([[key.id, holder]]), resumption };
    if (this.policies.size > 10_000) this.policies.clear();
    this.policies.set(id, policy);
    return policy;
  }

  private checkRule(rule: SniRule): void {
    const where = rule.index < 0 ? 'the default sni rule' : `sni[${rule.index}] (${rule.match})`;
    if (rule.tls.max !== '1.3') throw new OffloadConfigError('tls_version', `${where}: the offload engine speaks TLS 1.3 only, but tls.max is ${rule.tls.max}`);
    if (suitesOf(rule).length === 0) throw new OffloadConfigError('no_suites', `${where}: tls.ciphersuites "${rule.tls.ciphersuites}" names no suite the offload engine has (${Object.keys(SUITES).join(', ')})`);
    if (groupsOf(rule).length === 0) throw new OffloadConfigError('no_groups', `${where}: tls.groups [${rule.tls.groups!.join(', ')}] names no group the offload engine has (x25519, P-256, P-384)`);
    if (rule.clientCert.mode !== 'none') this.trustAnchors(rule);
  }

  /** The engine's view of a certificate's key: id, algorithm and schemes, plus who holds it. */
  private signingKey(cert: CertificateConfig): { key: SigningKey; holder: KeyHolder } {
    const cached = this.keys.get(cert.id);
    if (cached) return cached;
    const where = `certificates[${cert.index}] (${cert.id})`;
    const chain = this.chain(cert);
    const leafKey = new X509Certificate(chain[0]!).publicKey;
    let entry: { key: SigningKey; holder: KeyHolder };
    if (cert.key.kind === 'file') {
      const privateKey = loadKey(cert, where);
      const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
      if (!spki(createPublicKey(privateKey)).equals(spki(leafKey))) throw new OffloadConfigError('key_mismatch', `${where}: the key in ${cert.key.path} does not belong to the certificate in ${cert.cert}`);
      const algorithm = algorithmFor(privateKey, where);
      entry = { key: { id: `local/${cert.id}`, algorithm, schemes: schemesFor(algorithm) }, holder: { kind: 'file', key: privateKey, label: cert.id } };
    } else {
      // The private half is in the signer; the certificate's public key says what it can sign.
      const ref = cert.key.uri ?? (cert.key.id !== undefined ? `id:${cert.key.id}` : cert.key.label!);
      const algorithm = algorithmFor(leafKey, where);
      entry = { key: { id: `${cert.key.signer}/${ref}`, algorithm, schemes: schemesFor(algorithm) }, holder: { kind: 'signer', signer: cert.key.signer, ref } };
    }
    this.keys.set(cert.id, entry);
    return entry;
  }

  private chain(cert: CertificateConfig): Uint8Array[] {
    let chain = this.chains.get(cert.cert);
    if (!chain) {
      const where = `certificates[${cert.index}].cert`;
      chain = pemCertificates(readText(cert.cert, where), where);
      if (chain.length === 0) throw new OffloadConfigError('bad_certificate', `${where}: ${cert.cert} holds no certificate`);
      this.chains.set(cert.cert, chain);
    }
    return chain;
  }

  private trustAnchors(rule: SniRule): Uint8Array[] {
    const path = rule.clientCert.ca!;
    let anchors = this.anchors.get(path);
    if (!anchors) {
      const where = `sni[${rule.index}].client_cert.ca`;
      anchors = pemCertificates(readText(path, where), where);
      if (anchors.length === 0) throw new OffloadConfigError('bad_ca', `${where}: ${path} holds no CA certificate`);
      this.anchors.set(path, anchors);
    }
    return anchors;
  }
}

/** Whether any rule or certificate of the config needs the offload engine. */
export function configUsesOffload(config: Pick<TlsedgeConfig, 'sni' | 'certificates'>): boolean {
  return config.sni.some((r) => !r.tunnel && r.engine === 'offload') || config.certificates.some((c) => c.key.kind === 'signer');
}

function suitesOf(rule: SniRule): number[] {
  if (!rule.tls.ciphersuites) return [...DEFAULT_SUITES];
  return rule.tls.ciphersuites
    .split(':')
    .map((s) => SUITES[s.trim()])
    .filter((s): s is number => s !== undefined);
}

function groupsOf(rule: SniRule): number[] {
  if (!rule.tls.groups?.length) return [...DEFAULT_GROUPS];
  const out: number[] = [];
  for (const g of rule.tls.groups) {
    const code = GROUPS[g.trim().toLowerCase()];
    if (code !== undefined && !out.includes(code)) out.push(code);
  }
  return out;
}

function algorithmFor(key: KeyObject, where: string): SigningKey['algorithm'] {
  try {
    return algorithmOf(key);
  } catch (err) {
    throw new OffloadConfigError('unsupported_key', `${where}: ${(err as Error).message} (the offload engine signs with ECDSA P-256/P-384, RSA or Ed25519)`);
  }
}

function loadKey(cert: CertificateConfig, where: string): KeyObject {
  if (cert.key.kind !== 'file') throw new OffloadConfigError('bad_key', `${where}: not a key file`);
  const pem = readText(cert.key.path, `${where}.key`);
  const envName = cert.key.passphraseEnv;
  const passphrase = envName ? process.env[envName] : undefined;
  if (envName && passphrase === undefined) throw new OffloadConfigError('bad_key', `${where}.key: passphrase_env ${envName} is not set in the environment`);
  try {
    return createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (err) {
    throw new OffloadConfigError('bad_key', `${where}.key: ${cert.key.path} is not a usable private key`, { cause: err });
  }
}

function readText(path: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new OffloadConfigError('unreadable', `${where}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Every CERTIFICATE block of a PEM text, as DER, in file order. */
function pemCertificates(pem: string, where: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new Uint8Array(new X509Certificate(m[0]).raw));
    } catch (err) {
      throw new OffloadConfigError('bad_certificate', `${where}: a certificate does not parse`, { cause: err });
    }
  }
  return out;
}
