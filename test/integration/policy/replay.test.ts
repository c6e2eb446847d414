// `replay` for policy decisions: which `sni` rule matched and how, and whether another config would
// change the rule, the ALPN allowed, the client-certificate mode or the origin pool key — the key
// re-derived with the pools' own identity and key functions from what the events recorded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import { recheckDecisions } from '../../../actors/connection/explain.js';
import { fileFingerprints } from '../../../actors/connection/fingerprint.js';
import { summarizeConnectionEvent } from '../../../actors/connection/summary.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { httpsGet } from '../../support/https-client.js';
import { createTestCa, type TestCa, type TestLeaf } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { connection, factOf, startEdge, type Edge } from './support.js';
import { createServer, type Server } from 'node:https';

describe('replay of policy and pool decisions', () => {
  let dir: string;
  let pki: TestCa;
  let leaf: TestLeaf;
  let proxyClient: TestLeaf;
  let origin: Server;
  let originPort: number;
  let edge: Edge;
  let base: Record<string, unknown>;
  let events: AnyEvent[];

  before(async () => {
    dir = tempDir('tlsedge-replay-');
    pki = await createTestCa();
    leaf = await pki.issue('edge', { names: ['www.example.test', 'example.test'] });
    proxyClient = await pki.issue('proxy-client', { names: ['proxy.example.test'], usages: ['clientAuth'] });
    const originLeaf = await pki.issue('origin', { names: ['www.example.test', 'example.test'] });
    origin = createServer({ cert: readFileSync(originLeaf.certFile), key: readFileSync(originLeaf.keyFile) }, (_req, res) => res.end('ok\n'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originPort = (origin.address() as { port: number }).port;
    base = {
      certificates: [{ names: ['www.example.test', 'example.test'], cert: leaf.certFile, key: leaf.keyFile, default: true }],
      sni: [{ match: '*.example.test', alpn: ['h2', 'http/1.1'] }],
      origins: [{ match: {}, to: `https://127.0.0.1:${originPort}`, verify: { mode: 'strict', ca: pki.caFile } }],
    };
    edge = await startEdge(dir, base);
    const res = await httpsGet(edge.port, 'www.example.test', '/recorded', readFileSync(pki.caFile));
    assert.equal(res.status, 200);
    events = await connection(edge, (ev) => ev.some((e) => (e.data as { path?: string }).path === '/recorded'));
  });

  after(async () => {
    await edge?.stop();
    origin?.close();
  });

  const variant = (change: (c: Record<string, unknown>) => void) => {
    const copy = structuredClone(base);
    change(copy);
    return recheckDecisions(events, configFromObject(copy, dir), fileFingerprints());
  };
  const differing = (checks: ReturnType<typeof recheckDecisions>) => Object.fromEntries(checks.filter((c) => !c.same).map((c) => [c.what, c.detail]));
  const originRule = (c: Record<string, unknown>) => (c.origins as Array<Record<string, unknown>>)[0]!;

  it('says which rule matched and how, and which origin connection and pool key a request got', () => {
    const lines = Object.fromEntries(events.map((e) => [factOf(e), summarizeConnectionEvent(e)!.text]));
    assert.match(lines.policy_selected!, /^rule sni\[0\] "\*\.example\.test" \(wildcard\) cert=www\.example\.test \(exact\) alpn=h2,http\/1\.1 tls=1\.2-1\.3 client_cert=none/);
    assert.match(lines.origin_bound!, /new connection \S+ sni=www\.example\.test pool=[\w-]{12}$/);
  });

  it('finds every decision the same under the config it was recorded with', () => {
    const checks = variant(() => undefined);
    assert.deepEqual(differing(checks), {});
    assert.ok(checks.some((c) => c.what === 'request #1 origin pool key'), 'the pool key is checked');
  });

  it('reports a changed pool key for pool.match ip, another SNI, or another client certificate towards the origin', () => {
    const ip = differing(variant((c) => (originRule(c).pool = { match: 'ip' })));
    assert.deepEqual(Object.keys(ip), ['request #1 origin pool key']);
    assert.match(ip['request #1 origin pool key']!, /^[\w-]{12} \(sni www\.example\.test\) → [\w-]{12} \(sni www\.example\.test\)$/);
    const literal = differing(variant((c) => (originRule(c).sni = 'origin.internal')));
    assert.match(literal['request #1 origin pool key']!, /→ [\w-]{12} \(sni origin\.internal\)$/);
    const mtls = differing(variant((c) => (originRule(c).client_cert = { cert: proxyClient.certFile, key: proxyClient.keyFile })));
    assert.ok(mtls['request #1 origin pool key'], 'a client certificate makes it another connection');
    const limitsOnly = variant((c) => (originRule(c).pool = { match: 'sni', max_idle: 3 }));
    assert.deepEqual(differing(limitsOnly), {}, 'limits do not change what a connection is');
  });

  it('reports a changed rule, ALPN list or client-certificate mode for the recorded hello', () => {
    const clientCa = pki.caFile;
    const narrower = differing(variant((c) => ((c.sni as unknown[]).unshift({ match: 'www.example.test', alpn: ['http/1.1'], client_cert: { mode: 'require', ca: clientCa } }))));
    assert.equal(narrower['sni rule'], 'sni[0] "*.example.test" → sni[0] "www.example.test"');
    assert.equal(narrower['alpn allowed'], 'h2,http/1.1 → http/1.1');
    assert.equal(narrower['client certificate mode'], 'none → require');
  });
});
