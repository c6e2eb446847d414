// The classic origin-reuse bug against a real Apache httpd 2.4 with name-based SSL virtual hosts and
// `SSLStrictSNIVHostCheck on`: two client names remap to one origin address with `sni: preserve`.
// With `pool.match: sni` (the default) every request gets its own vhost's answer and origin
// connections are still reused; with `pool.match: ip` a connection opened for one name carries the
// other's requests and Apache answers 421 — the hazard the default avoids. Plus per-origin client
// certificates against `SSLVerifyClient require`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startApache, type RunningApache } from '../../support/apache.js';
import { createTestCa, type TestCa, type TestLeaf } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { closedConnections, factOf, startEdge, type Edge } from '../policy/support.js';

const NAMES = ['example.test', 'www.example.test'] as const;
const REQUESTS = 200;

interface Outcome {
  name: string;
  status: number;
  body: string;
}

describe('Apache httpd name-based SSL vhosts behind tlsedge', { skip: missingTools('apache2') }, () => {
  let dir: string;
  let pki: TestCa;
  let edgeLeaf: TestLeaf;
  let proxyClientGood: TestLeaf;
  let proxyClientOther: TestLeaf;
  let apache: RunningApache;

  before(async () => {
    dir = tempDir('tlsedge-apache-test-');
    pki = await createTestCa('origin and edge CA', dir);
    const proxyClients = await createTestCa('proxy clients CA', dir);
    const strangers = await createTestCa('stranger CA', dir);
    const vhostA = await pki.issue('vhost-a', { names: ['example.test'] });
    const vhostB = await pki.issue('vhost-b', { names: ['www.example.test'] });
    const vhostM = await pki.issue('vhost-m', { names: ['mtls.test'] });
    edgeLeaf = await pki.issue('edge', { names: [...NAMES, 'mtls.test'] });
    proxyClientGood = await proxyClients.issue('proxy-good', { names: ['edge-a.proxy'], usages: ['clientAuth'] });
    proxyClientOther = await strangers.issue('proxy-other', { names: ['edge-b.proxy'], usages: ['clientAuth'] });
    apache = await startApache([
      { name: 'example.test', certFile: vhostA.certFile, keyFile: vhostA.keyFile },
      { name: 'www.example.test', certFile: vhostB.certFile, keyFile: vhostB.keyFile },
      { name: 'mtls.test', certFile: vhostM.certFile, keyFile: vhostM.keyFile, requireClientCertCa: proxyClients.caFile },
    ]);
  });

  after(async () => {
    await apache?.stop();
  });

  /** tlsedge with both names (and mtls.test) remapped to the one Apache address. */
  function edgeFor(match: 'sni' | 'ip'): Promise<Edge> {
    const to = `https://127.0.0.1:${apache.port}`;
    const verify = { mode: 'strict', ca: pki.caFile };
    return startEdge(dir, {
      certificates: [{ names: [...NAMES, 'mtls.test'], cert: edgeLeaf.certFile, key: edgeLeaf.keyFile, default: true }],
      origins: [
        { match: { host: 'mtls.test', path_prefix: '/stranger' }, to, verify, client_cert: { cert: proxyClientOther.certFile, key: proxyClientOther.keyFile } },
        { match: { host: 'mtls.test' }, to, verify, client_cert: { cert: proxyClientGood.certFile, key: proxyClientGood.keyFile } },
        { match: { host: '*.test' }, to, sni: 'preserve', verify, pool: { match } },
        { match: { host: 'example.test' }, to, sni: 'preserve', verify, pool: { match } },
      ],
    });
  }

  /** `count` requests alternating between the two names, each name on its own keep-alive client connection. */
  async function alternate(edge: Edge, count: number): Promise<Outcome[]> {
    const agents = Object.fromEntries(NAMES.map((n) => [n, new Agent({ keepAlive: true, maxSockets: 1 })]));
    const ca = readFileSync(pki.caFile);
    const out: Outcome[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const name = NAMES[i % 2]!;
        out.push(await get(edge.port, name, '/name.txt', ca, agents[name]!));
      }
    } finally {
      for (const a of Object.values(agents)) a.destroy();
    }
    return out;
  }

  it('keeps SNI and Host together with pool.match sni: 200 alternating keep-alive requests, each answered by its own vhost, on reused origin connections', async (t) => {
    const edge = await edgeFor('sni');
    const logBefore = apache.accessLog().length;
    let outcomes: Outcome[];
    try {
      outcomes = await alternate(edge, REQUESTS);
    } finally {
      await edge.stop();
    }
    const non2xx = outcomes.filter((o) => o.status < 200 || o.status > 299);
    assert.equal(non2xx.length, 0, `non-2xx: ${JSON.stringify(non2xx.slice(0, 3))}`);
    for (const o of outcomes) assert.equal(o.body, `${o.name}\n`, 'each body names its own vhost');
    // Apache's view: a request with %k = 0 arrived on a new connection, i.e. after a TLS handshake
    const lines = apache.accessLog().slice(logBefore);
    assert.equal(lines.length, REQUESTS);
    const handshakes = lines.filter((l) => l.keepalive === 0).length;
    assert.ok(handshakes < REQUESTS, `origin connections are reused: ${handshakes} TLS handshakes for ${REQUESTS} requests`);
    assert.ok(handshakes <= 4, `one connection per SNI (give or take a race), got ${handshakes}`);
    t.diagnostic(`pool.match sni: ${REQUESTS} requests, 0 non-2xx, ${handshakes} origin TLS handshakes`);
    assert.ok(lines.every((l) => l.sni === l.vhost), 'every request reached the vhost its connection was opened for');
    // tlsedge's view of the same: origin_bound says reused, and never reused across SNIs
    const bound = edge.events.filter((e) => factOf(e) === 'origin_bound').map((e) => e.data as { host: string; sniSent: string; reused: boolean; originConnection: string });
    assert.equal(bound.length, REQUESTS);
    assert.ok(bound.every((b) => b.sniSent === b.host));
    const connectionSni = new Map<string, Set<string>>();
    for (const b of bound) connectionSni.set(b.originConnection, (connectionSni.get(b.originConnection) ?? new Set()).add(b.sniSent));
    assert.ok([...connectionSni.values()].every((s) => s.size === 1), 'an origin connection carried one SNI only');
    assert.ok(bound.filter((b) => b.reused).length >= REQUESTS - 4);
  });

  it('shows the 421s with pool.match ip: a connection opened for one name is reused for the other (the hazard the default avoids)', async (t) => {
    const edge = await edgeFor('ip');
    const logBefore = apache.accessLog().length;
    let outcomes: Outcome[];
    try {
      outcomes = await alternate(edge, REQUESTS);
    } finally {
      await edge.stop();
    }
    const misdirected = outcomes.filter((o) => o.status === 421);
    assert.ok(misdirected.length >= REQUESTS / 4, `Apache refused requests sent over another name's connection: ${misdirected.length} × 421`);
    t.diagnostic(`pool.match ip: ${REQUESTS} requests, ${misdirected.length} × 421 Misdirected Request`);
    const lines = apache.accessLog().slice(logBefore);
    const crossed = lines.filter((l) => l.sni !== l.vhost && l.sni !== '-');
    assert.ok(crossed.length > 0 && crossed.every((l) => l.status === 421), 'every request whose Host differed from its connection’s SNI got 421');
    const bound = edge.events.filter((e) => factOf(e) === 'origin_bound').map((e) => e.data as { host: string; sniSent: string });
    assert.ok(bound.some((b) => b.sniSent !== b.host), 'events show the SNI sent differing from the request host');
  });

  it('presents the per-origin client certificate to an SSLVerifyClient require vhost, and another rule’s certificate is refused', async () => {
    const edge = await edgeFor('sni');
    const ca = readFileSync(pki.caFile);
    let good: Outcome;
    let stranger: Outcome;
    try {
      good = await get(edge.port, 'mtls.test', '/name.txt', ca);
      stranger = await get(edge.port, 'mtls.test', '/stranger/name.txt', ca);
    } finally {
      await edge.stop();
    }
    assert.deepEqual([good.status, good.body], [200, 'mtls.test\n']);
    assert.equal(stranger.status, 502, 'Apache refused the certificate signed by a CA it does not trust');
    assert.match(apache.errorLog(), /verify error|certificate verify failed|unable to get local issuer|AH02039|AH02261/i);
    const events = closedConnections(edge).flat();
    const failed = events.find((e) => factOf(e) === 'origin_failed')?.data as { status: number; reason: string } | undefined;
    assert.equal(failed?.status, 502);
    const bound = events.filter((e) => factOf(e) === 'origin_bound').map((e) => e.data as { path: string; poolKey: string; missReason?: string });
    const [first, second] = bound;
    assert.ok(first && second && first.poolKey !== second.poolKey, 'two client certificates, two pool keys');
    assert.equal(second.missReason, 'client_cert_differs', 'the idle connection with the other certificate was not reused, and the event says why');
  });
});

function get(port: number, name: string, path: string, ca: Buffer, agent?: Agent): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: name, ca, headers: { host: name }, ...(agent ? { agent } : { agent: false }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ name, status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
