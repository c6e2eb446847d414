import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateConfig, SniRule } from '../../../adapters/config/model.js';
import type { HelloFacts } from '../../../adapters/tls/hello/facts.js';
import { planEngine, usesOffload } from '../../../actors/connection/offload.js';
import { DEFAULT_RULE, selectPolicy } from '../../../actors/connection/policy.js';
import { describeChain, failureOfAlert, failureOfError } from '../../../actors/proxy/offload-engine.js';
import { OffloadTlsError } from '../../../adapters/tls/offload/errors.js';
import { testPki } from '../tls/support/pki.js';

const fileCert = (index: number, names: string[], isDefault = false): CertificateConfig => ({ index, id: names[0]!, names, cert: `/c/${index}.pem`, key: { kind: 'file', path: `/c/${index}.key` }, default: isDefault });
const signerCert = (index: number, names: string[]): CertificateConfig => ({ index, id: names[0]!, names, cert: `/c/${index}.pem`, key: { kind: 'signer', signer: 'tpm0', label: 'web' }, default: false });
const rule = (index: number, match: string, extra: Partial<SniRule> = {}): SniRule => ({ ...DEFAULT_RULE, index, match, ...extra });
const hello = (sni: string, versions: string[]): HelloFacts => ({ sni, versions, offersTls13: versions.includes('1.3') }) as HelloFacts;

describe('which engine terminates a connection (planEngine)', () => {
  const certificates = [signerCert(0, ['tpm.test']), fileCert(1, ['*.wild.test']), signerCert(2, ['a.wild.test']), fileCert(3, ['f.test'], true)];
  const config = { sni: [rule(0, 'f.test', { engine: 'offload' }), rule(1, 'strict.test', { tls: { min: '1.3', max: '1.3' } }), rule(2, '*')], certificates: [...certificates, signerCert(4, ['strict.test'])] };
  const plan = (sni: string, versions: string[]) => planEngine(selectPolicy(config, sni), hello(sni, versions), config.certificates);

  it('uses the offload engine for `engine: offload` and for certificates whose key a signer holds', () => {
    assert.equal(usesOffload(selectPolicy(config, 'f.test')), true);
    assert.equal(usesOffload(selectPolicy(config, 'tpm.test')), true);
    assert.equal(usesOffload(selectPolicy(config, 'x.wild.test')), false);
    assert.equal(selectPolicy(config, 'tpm.test').facts.engine, 'offload', 'policy_selected names the engine that runs');
    assert.deepEqual(plan('tpm.test', ['1.3', '1.2']), { engine: 'offload' });
    assert.deepEqual(plan('x.wild.test', ['1.3']), { engine: 'native', certificate: certificates[1], fallback: false });
  });

  it('serves a TLS 1.2-only client natively with the same key file when the offload name has one', () => {
    assert.deepEqual(plan('f.test', ['1.2']), { engine: 'native', certificate: certificates[3], fallback: true });
  });

  it('serves a TLS 1.2-only client natively with another certificate with a key file that covers the name', () => {
    assert.deepEqual(plan('a.wild.test', ['1.2']), { engine: 'native', certificate: certificates[1], fallback: true });
  });

  it('answers protocol_version when no software certificate covers the name, or the rule wants TLS 1.3', () => {
    const refused = plan('tpm.test', ['1.2', '1.1']);
    assert.equal(refused.engine, 'refuse');
    assert.match((refused as { message: string }).message, /offered TLS \[1\.2, 1\.1\].*offload engine \(TLS 1\.3 only\).*no certificate with a key file.*signer "tpm0"/);
    const strict = plan('strict.test', ['1.2']);
    assert.deepEqual([strict.engine, (strict as { reason: string }).reason], ['refuse', 'protocol_version']);
  });
});

describe('handshake_failed facts of an offloaded handshake', () => {
  const decision = { rule: rule(0, 'm.test', { alpn: ['h2'] }) };
  const h = { ...hello('m.test', ['1.3']), alpn: ['http/1.1'], groups: ['x448'], cipherSuites: ['TLS_AES_128_CCM_SHA256'] } as HelloFacts;
  const sent = (code: string, reason = 'x') => ({ type: 'alert_sent', description: 0, name: code, code, reason }) as const;

  it('names client-certificate refusals like the native engine does', () => {
    assert.deepEqual(failureOfAlert(sent('certificate_required'), undefined, h, decision), { reason: 'client_cert_missing', stage: 'handshake', alert: 'certificate_required', message: 'x' });
    for (const code of ['unknown_ca', 'bad_certificate', 'certificate_expired']) assert.equal(failureOfAlert(sent(code), undefined, h, decision).reason, 'client_cert_untrusted');
  });

  it('explains policy refusals with the client’s offer and the rule', () => {
    const f = failureOfAlert(sent('no_application_protocol'), undefined, h, decision);
    assert.equal(f.reason, 'no_application_protocol');
    assert.match(f.message, /client offered ALPN \[http\/1\.1\]; sni rule "m\.test" allows \[h2\]/);
    assert.equal(failureOfAlert(sent('handshake_failure', 'no key exchange group in common'), undefined, h, decision).reason, 'no_shared_group');
    assert.equal(failureOfAlert(sent('handshake_failure', 'no TLS 1.3 cipher suite in common'), undefined, h, decision).reason, 'no_shared_cipher');
  });

  it('says which signer failed and how, with the internal_error alert and nothing from its message', () => {
    const f = failureOfAlert(sent('internal_error', 'signing failed: timeout'), { signer: 'tpm0', key: 'web', scheme: 'ecdsa_secp256r1_sha256', code: 'timeout' }, h, decision);
    assert.deepEqual(f, { reason: 'signer_timeout', stage: 'handshake', alert: 'internal_error', message: 'signer "tpm0" did not sign with key web (ecdsa_secp256r1_sha256): timeout' });
    assert.equal(failureOfAlert(sent('internal_error'), { signer: 's', key: 'k', scheme: 'ed25519', code: 'key_not_found' }, h, decision).reason, 'signer_failed');
  });

  it('tells a client that gave up from one that sent an alert, and a timeout from a closed socket', () => {
    const received = (name: string) => ({ type: 'alert_received', level: 2, description: 0, name }) as const;
    assert.equal(failureOfAlert(received('close_notify'), undefined, h, decision).reason, 'client_closed');
    assert.deepEqual(failureOfAlert(received('decrypt_error'), undefined, h, decision), { reason: 'client_alert', stage: 'handshake', alert: null, message: 'the client sent alert decrypt_error' });
    assert.equal(failureOfError(new OffloadTlsError('handshake_timeout', 'no handshake after 10 ms')).reason, 'handshake_timeout');
    assert.equal(failureOfError(new Error('ECONNRESET')).reason, 'client_closed');
  });

  it('describes a verified client certificate chain by subject, SANs, issuer and fingerprint', () => {
    const facts = describeChain(testPki().client.chain)!;
    assert.match(facts.subject, /CN=/);
    assert.match(facts.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(facts.authorized, true);
    assert.equal(describeChain([]), undefined);
  });
});
