import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureScheme } from '../../../../adapters/tls/wire/enums.js';
import type { ClientAuthMode } from '../../../../adapters/tls/engine/server/policy.js';
import { clock, driver, handshake, policyWith } from '../support/engine-setup.js';
import { hex } from '../support/hello-builder.js';
import { testPki } from '../support/pki.js';
import { missingTools } from '../../../support/requirements.js';

function clientAuthPolicy(mode: ClientAuthMode, tickets = false) {
  return policyWith({
    clientAuth: { mode, trustAnchors: [testPki().clientCaDer] },
    tickets: { mode: tickets ? 'stateless' : 'off', lifetimeSeconds: 600, count: 1, maxEarlyData: 0 },
  });
}

const clientCert = () => {
  const c = testPki().client;
  return { chain: c.chain, key: c.key, scheme: SignatureScheme.ecdsa_secp256r1_sha256 };
};

describe('offload engine: client certificates', { skip: missingTools('openssl') }, () => {
  it('requests, verifies and reports a client chain', () => {
    const d = driver(clientAuthPolicy('require'));
    const client = handshake(d, { clientCertificate: clientCert() });
    assert.equal(client.flight.certificateRequested, true);
    const done = d.last('handshake_completed')!;
    assert.equal(done.clientCertificates.length, 2);
    assert.equal(hex(done.clientCertificates[0]!), hex(testPki().client.chain[0]!));
  });

  it('refuses a missing certificate with certificate_required when required', () => {
    const d = driver(clientAuthPolicy('require'));
    handshake(d);
    assert.equal(d.alertSent(), 'certificate_required');
  });

  it('accepts a missing certificate when only requested', () => {
    const d = driver(clientAuthPolicy('request'));
    handshake(d);
    assert.deepEqual(d.last('handshake_completed')?.clientCertificates, []);
  });

  it('refuses a chain from an untrusted CA with unknown_ca', () => {
    const d = driver(clientAuthPolicy('require'));
    const s = testPki().strangerClient;
    handshake(d, { clientCertificate: { chain: s.chain, key: s.key, scheme: SignatureScheme.ecdsa_secp256r1_sha256 } });
    assert.equal(d.alertSent(), 'unknown_ca');
  });

  it('refuses an expired client certificate with certificate_expired', () => {
    clock.offset = 3 * 86400_000;
    try {
      const d = driver(clientAuthPolicy('require'));
      const e = testPki().expiredClient;
      handshake(d, { clientCertificate: { chain: e.chain, key: e.key, scheme: SignatureScheme.ecdsa_secp256r1_sha256 } });
      assert.equal(d.alertSent(), 'certificate_expired');
    } finally {
      clock.offset = 0;
    }
  });

  it('refuses a CertificateVerify by another key with decrypt_error', () => {
    const d = driver(clientAuthPolicy('require'));
    const c = testPki().client;
    handshake(d, { clientCertificate: { chain: c.chain, key: testPki().server.p256.key, scheme: SignatureScheme.ecdsa_secp256r1_sha256 } });
    assert.equal(d.alertSent(), 'decrypt_error');
  });

  it('refuses a CertificateVerify scheme that was not offered with illegal_parameter', () => {
    const d = driver(policyWith({ clientAuth: { mode: 'require', trustAnchors: [testPki().clientCaDer], schemes: [SignatureScheme.rsa_pss_rsae_sha256] } }));
    handshake(d, { clientCertificate: clientCert() });
    assert.equal(d.alertSent(), 'illegal_parameter');
  });

  it('keeps the client identity across a ticket resumption', () => {
    const first = handshake(driver(clientAuthPolicy('require', true)), { clientCertificate: clientCert() });
    const d = driver(clientAuthPolicy('require', true));
    const client = handshake(d, { resume: [first.ticket()] });
    assert.equal(client.flight.certificateRequested, false);
    const done = d.last('handshake_completed')!;
    assert.equal(done.resumed, 'ticket');
    assert.equal(hex(done.clientCertificates[0]!), hex(testPki().client.chain[0]!));
  });
});
