import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientCertRefusal } from '../../../actors/connection/client-cert.js';
import type { ClientCertFacts } from '../../../actors/connection/events.js';
import { explainHandshakeFailure, refusesMissingAlpn } from '../../../actors/connection/refusals.js';
import { DEFAULT_RULE } from '../../../actors/connection/policy.js';
import { clientCertFieldLines, clientCertFields, fieldValue } from '../../../actors/proxy/client-cert.js';
import { parseRequestHead } from '../../../adapters/http/h1/request-head.js';
import { forwardRequestHead } from '../../../adapters/http/proxy/rewrite.js';
import type { OriginRule, SniRule } from '../../../adapters/config/model.js';
import type { HelloFacts } from '../../../adapters/tls/hello/facts.js';

const cert = (authorized: boolean, extra: Partial<ClientCertFacts> = {}): ClientCertFacts => ({
  subject: 'CN=alice', san: ['DNS:alice.example', 'email:alice@example.test'], fingerprint: 'ab'.repeat(32), issuer: 'CN=clients', authorized, ...(authorized ? {} : { error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }), ...extra,
});
const rule = (mode: 'none' | 'request' | 'require', extra: Partial<SniRule> = {}): SniRule => ({ ...DEFAULT_RULE, index: 2, match: 'secure.test', clientCert: { mode, forwardHeaders: true }, ...extra });

describe('client certificate policy', () => {
  it('refuses only what its mode says: require needs a verified certificate, request refuses an unverified one', () => {
    assert.equal(clientCertRefusal(rule('none'), undefined), undefined);
    assert.equal(clientCertRefusal(rule('request'), undefined), undefined);
    assert.equal(clientCertRefusal(rule('request'), cert(true)), undefined);
    assert.equal(clientCertRefusal(rule('require'), cert(true)), undefined);
    assert.equal(clientCertRefusal(rule('require'), undefined)?.reason, 'client_cert_missing');
    const untrusted = clientCertRefusal(rule('request'), cert(false));
    assert.equal(untrusted?.reason, 'client_cert_untrusted');
    assert.equal(untrusted?.message, 'client certificate "CN=alice" issued by "CN=clients" is not trusted by sni rule "secure.test" (client_cert: request): UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });

  it('forwards subject, SAN, fingerprint and issuer of a verified certificate, and NONE without one', () => {
    assert.deepEqual(clientCertFields(undefined), [['x-client-cert-verified', 'NONE']]);
    assert.deepEqual(Object.fromEntries(clientCertFields(cert(true))), {
      'x-client-cert-verified': 'SUCCESS',
      'x-client-cert-subject': 'CN=alice',
      'x-client-cert-san': 'DNS:alice.example, email:alice@example.test',
      'x-client-cert-fingerprint': 'ab'.repeat(32),
      'x-client-cert-issuer': 'CN=clients',
    });
  });

  it('percent-encodes what a field value cannot carry (UTF-8, controls, %)', () => {
    assert.equal(fieldValue('CN=Jürgen\r\nX-Evil: 1, O=100%'), 'CN=J%C3%BCrgen%0D%0AX-Evil: 1, O=100%25');
  });

  it('replaces a client’s own X-Client-Cert-* fields in an HTTP/1.1 request with tlsedge’s', () => {
    const raw = Buffer.from('GET / HTTP/1.1\r\nHost: a.test\r\nX-Client-Cert-Subject: CN=admin\r\nx-client-cert-verified: SUCCESS\r\nX-Client-Certificate: forged\r\nAccept: */*\r\n\r\n', 'latin1');
    const req = parseRequestHead(raw, { maxHeadBytes: 8192 })!;
    const origin = { to: { url: 'http://o', protocol: 'http:', host: 'o', port: 80, basePath: '' }, hostHeader: 'preserve' } as OriginRule;
    const out = forwardRequestHead(req, origin, { clientAddress: '192.0.2.1', proto: 'https', via: '1.1 tlsedge', extra: clientCertFieldLines(clientCertFields(undefined)) }).toString('latin1');
    assert.doesNotMatch(out, /admin|forged/);
    assert.equal(out.match(/x-client-cert/gi)?.length, 1);
    assert.match(out, /\r\nx-client-cert-verified: NONE\r\nVia: 1\.1 tlsedge\r\n\r\n$/);
    assert.match(out, /\r\nAccept: \*\/\*\r\n/);
  });
});

describe('refusal explanations', () => {
  const hello = { alpn: [], versions: ['1.2'], cipherSuites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'] } as unknown as HelloFacts;
  it('refuses a hello without ALPN only where HTTP/1.1 is not allowed, and never for tunnels', () => {
    assert.equal(refusesMissingAlpn({ ...DEFAULT_RULE, alpn: ['h2'] }, hello), true);
    assert.equal(refusesMissingAlpn({ ...DEFAULT_RULE, alpn: ['h2', 'http/1.1'] }, hello), false);
    assert.equal(refusesMissingAlpn({ ...DEFAULT_RULE, alpn: ['h2'], tunnel: { host: '127.0.0.1', port: 9 } }, hello), false);
    assert.equal(refusesMissingAlpn({ ...DEFAULT_RULE, alpn: ['h2'] }, { ...hello, alpn: ['h2'] }), false);
  });

  it('says what the client offered against what the rule allows, with OpenSSL’s own words', () => {
    const openssl = '80DB:error:0A000102:SSL routines:tls_early_post_process_client_hello:unsupported protocol:../ssl/statem/statem_srvr.c:1664:\n';
    assert.equal(explainHandshakeFailure('protocol_version', openssl, hello, { ...DEFAULT_RULE, tls: { min: '1.3', max: '1.3' } }), 'the client offered TLS [1.2]; the default sni rule allows TLS 1.3–1.3 (OpenSSL: unsupported protocol)');
    assert.equal(explainHandshakeFailure('client_alert', 'socket hang up', hello, DEFAULT_RULE), 'socket hang up');
  });
});
