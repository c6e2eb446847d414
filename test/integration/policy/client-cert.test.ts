// Client certificates per name (`sni[].client_cert`): `require` refuses a client without a
// certificate and one signed by another name's CA — explicitly, with the reason in the response
// and in a `handshake_failed` event — and admits one signed by its own CA; `request` admits clients
// without one; the certificate's subject, SAN and fingerprint reach events and (opt-in) the origin,
// and X-Client-Cert-* fields a client sends itself never do.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { replayConnection } from '../../../actors/connection/explain.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa, type TestLeaf } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { connection, curl, dataOf, factOf, sClient, startEdge, type Edge } from './support.js';

describe('client certificates per name', { skip: missingTools('curl', 'openssl') }, () => {
  let serverCa: TestCa;
  let alice: TestLeaf; // signed by the CA of secure.test
  let bob: TestLeaf; // signed by the CA of other.test
  let origin: TestOrigin;
  let edge: Edge;

  before(async () => {
    const dir = tempDir('tlsedge-client-cert-');
    serverCa = await createTestCa('server CA', dir);
    const clientsA = await createTestCa('clients A', dir);
    const clientsB = await createTestCa('clients B', dir);
    const names = ['secure.test', 'other.test', 'optional.test'];
    const leaf = await serverCa.issue('edge', { names });
    alice = await clientsA.issue('alice', { names: ['alice.example'], usages: ['clientAuth'] });
    bob = await clientsB.issue('bob', { names: ['bob.example'], usages: ['clientAuth'] });
    origin = await startEchoOrigin();
    edge = await startEdge(dir, {
      certificates: [{ names, cert: leaf.certFile, key: leaf.keyFile, default: true }],
      sni: [
        { match: 'secure.test', client_cert: { mode: 'require', ca: clientsA.caFile, forward_headers: true } },
        { match: 'other.test', client_cert: { mode: 'require', ca: clientsB.caFile } },
        { match: 'optional.test', client_cert: { mode: 'request', ca: clientsA.caFile, forward_headers: true } },
      ],
      origins: [{ match: {}, to: origin.url }],
    });
  });

  after(async () => {
    await edge?.stop();
    await origin?.close();
  });

  const as = (leaf: TestLeaf) => ['--cert', leaf.certFile, '--key', leaf.keyFile];
  const lastSeen = (path: string) => origin.seen.filter((s) => s.url === path).at(-1);
  const helloFor = (sni: string, path?: string) => (ev: Parameters<Parameters<typeof connection>[1]>[0]) =>
    ev.some((e) => factOf(e) === 'client_hello_received' && (e.data as { sni: string }).sni === sni) && (path === undefined || ev.some((e) => (e.data as { path?: string }).path === path));

  it('refuses a client without a certificate on a `require` name with 403, the reason, and handshake_failed', async () => {
    const before = closedCount();
    const res = await curl(edge.port, 'secure.test', '/no-cert', ['--cacert', serverCa.caFile, '--http1.1']);
    assert.equal(res.status, 403);
    assert.match(res.body, /sni rule "secure\.test" requires a client certificate \(client_cert: require\) and none was sent/);
    assert.equal(lastSeen('/no-cert'), undefined, 'nothing reached the origin');
    const events = await connection(edge, (ev) => helloFor('secure.test')(ev) && ev.some((e) => factOf(e) === 'handshake_failed') && closedCount() > before);
    const failed = dataOf<{ reason: string; stage: string; alert: string | null }>(events, 'handshake_failed');
    assert.deepEqual([failed.reason, failed.stage], ['client_cert_missing', 'handshake']);
    assert.ok(!events.some((e) => factOf(e) === 'handshake_completed'));
    const replay = replayConnection(events);
    assert.equal(replay.finalState, 'closed');
    assert.ok(replay.steps.every((s) => !s.ignored));
  });

  it('refuses an HTTP/2 client without a certificate in HTTP/2 (403 on its stream)', async () => {
    const res = await curl(edge.port, 'secure.test', '/no-cert-h2', ['--cacert', serverCa.caFile, '--http2']);
    assert.deepEqual([res.version, res.status], ['2', 403]);
    assert.match(res.body, /requires a client certificate/);
  });

  it('admits a certificate signed by the name’s CA and forwards its subject, SAN and fingerprint, never a client’s own fields', async () => {
    const res = await curl(edge.port, 'secure.test', '/alice', ['--cacert', serverCa.caFile, ...as(alice), '-H', 'X-Client-Cert-Subject: CN=admin', '-H', 'x-client-cert-verified: SUCCESS']);
    assert.equal(res.status, 200, res.body + res.stderr);
    const seen = lastSeen('/alice')!;
    const fingerprint = new X509Certificate(readFileSync(alice.leafFile)).fingerprint256.replace(/:/g, '').toLowerCase();
    assert.equal(seen.headers['x-client-cert-verified'], 'SUCCESS');
    assert.match(String(seen.headers['x-client-cert-subject']), /CN=alice\.example/);
    assert.doesNotMatch(String(seen.headers['x-client-cert-subject']), /admin/, 'the client-sent field was removed');
    assert.equal(seen.headers['x-client-cert-san'], 'DNS:alice.example');
    assert.equal(seen.headers['x-client-cert-fingerprint'], fingerprint);
    assert.match(String(seen.headers['x-client-cert-issuer']), /CN=clients A/);
    const events = await connection(edge, helloFor('secure.test', '/alice'));
    const cert = dataOf<{ clientCert: { subject: string; san: string[]; fingerprint: string; authorized: boolean } }>(events, 'handshake_completed').clientCert;
    assert.deepEqual([cert.san, cert.fingerprint, cert.authorized], [['DNS:alice.example'], fingerprint, true]);
  });

  it('forwards the same fields over HTTP/2', async () => {
    const res = await curl(edge.port, 'secure.test', '/alice-h2', ['--cacert', serverCa.caFile, '--http2', ...as(alice), '-H', 'X-Client-Cert-Fingerprint: 00']);
    assert.deepEqual([res.version, res.status], ['2', 200]);
    const seen = lastSeen('/alice-h2')!;
    assert.equal(seen.headers['x-client-cert-verified'], 'SUCCESS');
    assert.notEqual(seen.headers['x-client-cert-fingerprint'], '00');
    assert.match(String(seen.headers['x-client-cert-fingerprint']), /^[0-9a-f]{64}$/);
  });

  it('refuses a certificate signed by another name’s CA and says whose certificate and why', async () => {
    const res = await curl(edge.port, 'secure.test', '/bob', ['--cacert', serverCa.caFile, ...as(bob)]);
    assert.equal(res.status, 403);
    assert.match(res.body, /client certificate "CN=bob\.example" issued by "[^"]*CN=clients B" is not trusted by sni rule "secure\.test" \(client_cert: require\): SELF_SIGNED_CERT_IN_CHAIN/);
    const events = await connection(edge, (ev) => helloFor('secure.test')(ev) && ev.some((e) => factOf(e) === 'handshake_failed' && (e.data as { reason: string }).reason === 'client_cert_untrusted'));
    // curl sends bob's chain up to his CA, which secure.test's CA bundle does not contain
    assert.match(dataOf<{ message: string }>(events, 'handshake_failed').message, /CN=bob\.example.*SELF_SIGNED_CERT_IN_CHAIN/);
    // bob's own name takes him, and does not forward headers (forward_headers is off there)
    const own = await curl(edge.port, 'other.test', '/bob-home', ['--cacert', serverCa.caFile, ...as(bob), '-H', 'X-Client-Cert-Subject: CN=admin']);
    assert.equal(own.status, 200);
    assert.equal(lastSeen('/bob-home')!.headers['x-client-cert-subject'], undefined, 'a client-sent X-Client-Cert-* field never reaches an origin');
  });

  it('lets a client without a certificate in on a `request` name, telling the origin there was none', async () => {
    const res = await curl(edge.port, 'optional.test', '/anon', ['--cacert', serverCa.caFile, '-H', 'X-Client-Cert-Verified: SUCCESS']);
    assert.equal(res.status, 200);
    assert.equal(lastSeen('/anon')!.headers['x-client-cert-verified'], 'NONE');
    const withCert = await curl(edge.port, 'optional.test', '/known', ['--cacert', serverCa.caFile, ...as(alice)]);
    assert.equal(withCert.status, 200);
    assert.equal(lastSeen('/known')!.headers['x-client-cert-verified'], 'SUCCESS');
    const untrusted = await curl(edge.port, 'optional.test', '/stranger', ['--cacert', serverCa.caFile, ...as(bob)]);
    assert.equal(untrusted.status, 403, 'a presented certificate that does not verify is refused, not passed on');
  });

  it('shows the refusal to a raw TLS client too (openssl s_client without a certificate)', async () => {
    const out = await sClient(edge.port, 'other.test', ['-CAfile', serverCa.caFile, '-ign_eof'], 'GET / HTTP/1.1\r\nHost: other.test\r\n\r\n');
    assert.match(out, /HTTP\/1\.1 403 Forbidden/);
    assert.match(out, /sni rule "other\.test" requires a client certificate/);
  });

  function closedCount(): number {
    return edge.events.filter((e) => factOf(e) === 'closed').length;
  }
});
