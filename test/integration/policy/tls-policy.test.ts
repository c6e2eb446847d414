// Per-hostname TLS policy seen by real clients: each `sni` rule's ALPN list, versions, ciphers and
// groups are exact (one tls.Server per policy), a client that offers nothing the rule allows gets
// the right alert and a `handshake_failed` event saying why, and a `tunnel` name passes the
// ClientHello through to a backend that terminates TLS itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { replayConnection } from '../../../actors/connection/explain.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { connection, curl, dataOf, factOf, sClient, startEdge, type Edge } from './support.js';

interface Failed {
  reason: string;
  stage: string;
  alert: string | null;
  message: string;
}

describe('per-hostname TLS policy', { skip: missingTools('openssl', 'curl') }, () => {
  let pki: TestCa;
  let origin: TestOrigin;
  let backend: TlsServer;
  let edge: Edge;

  before(async () => {
    const dir = tempDir('tlsedge-policy-');
    pki = await createTestCa();
    const names = ['h2.test', 'h1.test', 'only-h2.test', 'v13.test', 'cipher.test', 'group.test'];
    const leaf = await pki.issue('edge', { names });
    const backendLeaf = await pki.issue('backend', { names: ['backend.test'] });
    origin = await startEchoOrigin();
    backend = createTlsServer({ cert: readFileSync(backendLeaf.certFile), key: readFileSync(backendLeaf.keyFile) }, (s) => s.end('backend says hi\n'));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const backendPort = (backend.address() as { port: number }).port;
    edge = await startEdge(dir, {
      certificates: [{ names, cert: leaf.certFile, key: leaf.keyFile, default: true }],
      sni: [
        { match: 'h2.test', alpn: ['h2', 'http/1.1'] },
        { match: 'h1.test', alpn: ['http/1.1'] },
        { match: 'only-h2.test', alpn: ['h2'] },
        { match: 'v13.test', tls: { min: '1.3' } },
        { match: 'cipher.test', tls: { max: '1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' } },
        { match: 'group.test', tls: { groups: ['P-384'] } },
        { match: 'tunnel.test', tunnel: `127.0.0.1:${backendPort}` },
      ],
      origins: [{ match: {}, to: origin.url }],
    });
  });

  after(async () => {
    await edge?.stop();
    await origin?.close();
    backend?.close();
  });

  /** The handshake_failed event of the connection that asked for `sni`. */
  const failure = async (sni: string): Promise<Failed> => {
    const events = await connection(edge, (ev) => ev.some((e) => factOf(e) === 'handshake_failed') && (dataOf<{ sni: string }>(ev, 'client_hello_received').sni === sni));
    return dataOf<Failed>(events, 'handshake_failed');
  };

  it('negotiates h2 on one name and http/1.1 on another for the same ALPN offer (openssl s_client -alpn h2,http/1.1)', async () => {
    const ca = ['-CAfile', pki.caFile];
    assert.match(await sClient(edge.port, 'h2.test', ['-alpn', 'h2,http/1.1', ...ca]), /ALPN protocol: h2\n/);
    assert.match(await sClient(edge.port, 'h1.test', ['-alpn', 'h2,http/1.1', ...ca]), /ALPN protocol: http\/1\.1\n/);
  });

  it('serves the h2 name end to end over HTTP/2 (curl --http2)', async () => {
    const res = await curl(edge.port, 'h2.test', '/over-h2', ['--http2', '--cacert', pki.caFile]);
    assert.equal(res.version, '2');
    assert.equal(res.status, 200);
    assert.match(res.body, /^origin GET h2\.test:\d+ \/over-h2\n$/);
    const events = await connection(edge, (ev) => ev.some((e) => factOf(e) === 'origin_bound' && (e.data as { path: string }).path === '/over-h2'));
    assert.equal(dataOf<{ alpn: string }>(events, 'handshake_completed').alpn, 'h2');
    assert.deepEqual(replayConnection(events).steps.map((s) => s.state), ['accept', 'accept', 'handshaking', 'established', 'originBound', 'originBound', 'closed']);
  });

  it('answers an ALPN offer the rule does not allow with no_application_protocol and says what was offered', async () => {
    const out = await sClient(edge.port, 'h1.test', ['-alpn', 'h2']);
    assert.match(out, /alert no application protocol/);
    const f = await failure('h1.test');
    assert.deepEqual([f.reason, f.stage, f.alert], ['no_application_protocol', 'handshake', 'no_application_protocol']);
    assert.match(f.message, /offered ALPN \[h2\]; sni rule "h1\.test" allows \[http\/1\.1\]/);
  });

  it('refuses a client without ALPN (HTTP/1.1) on an h2-only name with no_application_protocol before the handshake', async () => {
    const out = await sClient(edge.port, 'only-h2.test');
    assert.match(out, /alert no application protocol/);
    const f = await failure('only-h2.test');
    assert.deepEqual([f.reason, f.stage, f.alert], ['no_application_protocol', 'policy', 'no_application_protocol']);
    assert.match(f.message, /offered no ALPN \(HTTP\/1\.1\); sni rule "only-h2\.test" allows \[h2\]/);
  });

  it('refuses a TLS 1.2-only client on a tls.min 1.3 name with protocol_version', async () => {
    const out = await sClient(edge.port, 'v13.test', ['-tls1_2']);
    assert.match(out, /alert protocol version/);
    const f = await failure('v13.test');
    assert.deepEqual([f.reason, f.alert], ['protocol_version', 'protocol_version']);
    assert.match(f.message, /offered TLS \[1\.2\]; sni rule "v13\.test" allows TLS 1\.3–1\.3/);
    // and a TLS 1.3 client is served
    assert.match(await sClient(edge.port, 'v13.test', ['-tls1_3']), /New, TLSv1\.3/);
  });

  it('answers a client sharing no cipher with the rule with handshake_failure', async () => {
    const out = await sClient(edge.port, 'cipher.test', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
    assert.match(out, /alert handshake failure/);
    const f = await failure('cipher.test');
    assert.deepEqual([f.reason, f.alert], ['no_shared_cipher', 'handshake_failure']);
    assert.match(f.message, /no cipher suite in common/);
    assert.match(await sClient(edge.port, 'cipher.test', ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']), /Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
  });

  it('answers a TLS 1.3 client sharing no group with the rule with handshake_failure', async () => {
    const out = await sClient(edge.port, 'group.test', ['-groups', 'X25519']);
    assert.match(out, /alert handshake failure/);
    const f = await failure('group.test');
    assert.deepEqual([f.reason, f.alert], ['no_shared_group', 'handshake_failure']);
    assert.match(f.message, /offered \[x25519\]; sni rule "group\.test" allows \[P-384\]/i);
  });

  it('passes a tunnel name through untouched: the client sees the backend certificate, events count the bytes', async () => {
    const out = await sClient(edge.port, 'tunnel.test', ['-CAfile', pki.caFile], '');
    assert.match(out, /subject=CN = backend\.test/);
    assert.match(out, /Verify return code: 0 \(ok\)/);
    const events = await connection(edge, (ev) => ev.some((e) => factOf(e) === 'tunnel_opened'));
    assert.deepEqual(events.map(factOf), ['accepted', 'client_hello_received', 'policy_selected', 'tunnel_opened', 'closed']);
    assert.equal(dataOf<{ tunnel: string }>(events, 'policy_selected').tunnel, `127.0.0.1:${(backend.address() as { port: number }).port}`);
    const closed = dataOf<{ bytesIn: number; bytesOut: number; state: string }>(events, 'closed');
    assert.equal(closed.state, 'tunneling');
    assert.ok(closed.bytesIn > 200, `ClientHello and more passed in (${closed.bytesIn} B)`);
    assert.ok(closed.bytesOut > 500, `the backend's certificate flight passed out (${closed.bytesOut} B)`);
  });
});
