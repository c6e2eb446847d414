import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { CertificateConfig, SniRule } from '../../../adapters/config/model.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../../adapters/tls/wire/enums.js';
import { DEFAULT_RULE, selectPolicy } from '../../../actors/connection/policy.js';
import { OffloadConfigError, OffloadPolicies } from '../../../actors/proxy/offload-policy.js';
import { createTestCa, type TestCa, type TestLeaf } from '../../support/pki.js';

const rule = (index: number, match: string, extra: Partial<SniRule> = {}): SniRule => ({ ...DEFAULT_RULE, index, match, ...extra });

describe('the offload engine policy of an sni rule (OffloadPolicies)', () => {
  let pki: TestCa;
  let ec: TestLeaf;
  let rsa: TestLeaf;
  let other: TestLeaf;
  let certificates: CertificateConfig[];

  before(async () => {
    pki = await createTestCa();
    ec = await pki.issue('ec', { names: ['ec.test'] });
    rsa = await pki.issue('rsa', { names: ['rsa.test'], keyType: 'rsa2048' });
    other = await pki.issue('other', { names: ['other.test'] });
    certificates = [
      { index: 0, id: 'ec.test', names: ['ec.test'], cert: ec.certFile, key: { kind: 'signer', signer: 'tpm0', label: 'web' }, default: false },
      { index: 1, id: 'rsa.test', names: ['rsa.test'], cert: rsa.certFile, key: { kind: 'file', path: rsa.keyFile }, default: true },
      { index: 2, id: 'bad.test', names: ['bad.test'], cert: ec.certFile, key: { kind: 'file', path: other.keyFile }, default: false },
    ];
  });

  const build = (sni: SniRule[], name: string) => {
    const config = { sni, certificates };
    return new OffloadPolicies(config, undefined).forDecision(selectPolicy(config, name));
  };

  it('describes a signer-held key from its certificate and never holds it', () => {
    const p = build([rule(0, '*', { alpn: ['h2', 'http/1.1'] })], 'ec.test');
    const cert = p.server.certificates[0]!;
    assert.deepEqual(cert.key, { id: 'tpm0/web', algorithm: 'ecdsa_p256', schemes: [SignatureScheme.ecdsa_secp256r1_sha256] });
    assert.deepEqual(p.holders.get('tpm0/web'), { kind: 'signer', signer: 'tpm0', ref: 'web' });
    assert.equal(cert.chain.length, 2, 'leaf and CA from the PEM file, in order');
    assert.equal(new X509Certificate(cert.chain[0]!).subject, 'CN=ec.test');
    assert.deepEqual(p.server.alpn, ['h2', 'http/1.1']);
    assert.equal(p.server.tickets.mode, 'off', 'no resumption component: no tickets');
  });

  it('signs key files of `engine: offload` rules in the process, with RSA-PSS for RSA keys', () => {
    const p = build([rule(0, '*', { engine: 'offload' })], 'rsa.test');
    assert.deepEqual(p.server.certificates[0]!.key.schemes, [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512]);
    assert.equal(p.holders.get('local/rsa.test')?.kind, 'file');
  });

  it('takes TLS 1.3 suites and groups from tls.ciphersuites and tls.groups, in the rule’s order', () => {
    const p = build([rule(0, '*', { engine: 'offload', tls: { min: '1.2', max: '1.3', ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_256_GCM_SHA384', groups: ['P-384', 'X25519', 'ffdhe2048'] } })], 'rsa.test');
    assert.deepEqual(p.server.suites, [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]);
    assert.deepEqual(p.server.groups, [NamedGroup.secp384r1, NamedGroup.x25519]);
  });

  it('turns client_cert into trust anchors the engine checks chains against', () => {
    const p = build([rule(0, '*', { clientCert: { mode: 'require', ca: pki.caFile, forwardHeaders: false } })], 'ec.test');
    assert.equal(p.server.clientAuth.mode, 'require');
    assert.equal(new X509Certificate(p.server.clientAuth.trustAnchors[0]!).subject, new X509Certificate(pki.ca.certPem).subject);
  });

  it('refuses at startup what the engine cannot serve, naming the config path', () => {
    const config = (sni: SniRule[], certs = certificates) => new OffloadPolicies({ sni, certificates: certs }, undefined);
    assert.throws(() => config([rule(0, 'x.test', { engine: 'offload', tls: { min: '1.2', max: '1.2' } })]).prepare(), (e: unknown) => e instanceof OffloadConfigError && e.code === 'tls_version' && /sni\[0\] \(x\.test\): the offload engine speaks TLS 1\.3 only/.test(e.message));
    assert.throws(() => config([rule(0, 'x.test', { engine: 'offload', tls: { min: '1.2', max: '1.3', ciphersuites: 'TLS_AES_128_CCM_SHA256' } })]).prepare(), (e: unknown) => e instanceof OffloadConfigError && e.code === 'no_suites');
    assert.throws(() => config([rule(0, 'bad.test', { engine: 'offload', certificate: 'bad.test' })]).prepare(), (e: unknown) => e instanceof OffloadConfigError && e.code === 'key_mismatch' && /certificates\[2\] \(bad\.test\)/.test(e.message));
    const missing: CertificateConfig = { ...certificates[0]!, cert: '/nonexistent/cert.pem' };
    assert.throws(() => config([], [missing]).prepare(), (e: unknown) => e instanceof OffloadConfigError && e.code === 'unreadable' && /certificates\[0\]\.cert: cannot read \/nonexistent\/cert\.pem: ENOENT/.test(e.message));
  });
});
