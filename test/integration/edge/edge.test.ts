// End to end on both bus transports: TLS terminated per SNI with the right certificate, a request
// proxied to an origin, and every decision recorded as events with one correlation id, stored in
// the event log, visible live, and replayable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import type { TlsedgeConfig } from '../../../adapters/config/model.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { recheckDecisions, replayConnection } from '../../../actors/connection/explain.js';
import { fileFingerprints } from '../../../actors/connection/fingerprint.js';
import { startProxyProcess, type ProxyProcess } from '../../../actors/proxy/process.js';
import { buildRuntime, type BuiltRuntime } from '../../../actors/system/build-runtime.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { httpsGet } from '../../support/https-client.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';

const FACTS_OF_ONE_REQUEST = ['accepted', 'client_hello_received', 'policy_selected', 'handshake_completed', 'origin_bound', 'request_completed', 'closed'];

interface Edge {
  config: TlsedgeConfig;
  built: BuiltRuntime;
  proxy: ProxyProcess;
  port: number;
  live: AnyEvent[];
}

async function startEdge(pki: TestCa, origin: TestOrigin, bus: { url: string } | undefined, dir: string): Promise<Edge> {
  const a = await pki.issue('a', { names: ['a.test'] });
  const b = await pki.issue('b', { names: ['b.test'] });
  const fallback = await pki.issue('fallback', { names: ['fallback.test'] });
  const fleetKey = join(dir, 'fleet.key');
  writeFileSync(fleetKey, randomBytes(32));
  const config = configFromObject(
    {
      listen: [{ address: '127.0.0.1:0' }],
      admin: { address: null },
      bus: bus ? { url: bus.url } : { url: 'memory://' },
      fleet_key_file: fleetKey,
      log: { dir: join(dir, 'events'), stream: `EVT_${randomBytes(3).toString('hex')}` },
      limits: { hello_timeout: '400ms', idle_timeout: '1s' },
      certificates: [
        { names: ['a.test'], cert: a.certFile, key: a.keyFile },
        { names: ['b.test'], cert: b.certFile, key: b.keyFile },
        { names: ['fallback.test'], cert: fallback.certFile, key: fallback.keyFile, default: true },
      ],
      origins: [
        { match: { path_prefix: '/dead' }, to: 'http://127.0.0.1:1' },
        { match: { path_prefix: '/' }, to: origin.url },
      ],
    },
    dir,
  );
  const built = await buildRuntime(config, { role: 'test', log: memoryLogger() });
  const live: AnyEvent[] = [];
  built.runtime.bus.subscribe(ALL_EVENTS, (msg) => live.push(msg.data as unknown as AnyEvent));
  const proxy = await startProxyProcess(built.runtime);
  return { config, built, proxy, port: proxy.proxy.listeners[0]!.port, live };
}

async function stopEdge(edge: Edge | undefined): Promise<void> {
  if (!edge) return;
  await edge.proxy.stop();
  await edge.built.close();
}

/** The stored events of one connection, once its `closed` event is durable. */
async function storedConnection(edge: Edge, predicate: (events: AnyEvent[]) => boolean): Promise<AnyEvent[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    await edge.built.eventLog.sink.flush();
    const byId = new Map<string, AnyEvent[]>();
    for await (const e of edge.built.eventLog.reader.read({ types: ['tlsedge.connection.*'] })) {
      const list = byId.get(e.correlationid) ?? [];
      list.push(e);
      byId.set(e.correlationid, list);
    }
    for (const events of byId.values()) if (events.some((e) => e.type.endsWith('.closed')) && predicate(events)) return events;
    if (Date.now() > deadline) throw new Error('no matching connection in the event log');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fact = (e: AnyEvent) => e.type.replace('tlsedge.connection.', '');

function edgeScenarios(transport: 'memory' | 'nats', skip: string | false): void {
  describe(`the embedded edge on the ${transport} bus`, { skip }, () => {
    let nats: RunningNats | undefined;
    let pki: TestCa;
    let origin: TestOrigin;
    let edge: Edge | undefined;
    let dir: string;

    before(async () => {
      dir = tempDir('tlsedge-edge-');
      if (transport === 'nats') nats = await startNats({ jetstream: true });
      pki = await createTestCa();
      origin = await startEchoOrigin();
      edge = await startEdge(pki, origin, nats ? { url: nats.url } : undefined, dir);
    });

    after(async () => {
      await stopEdge(edge);
      await origin?.close();
      await nats?.stop();
    });

    it('serves each name its own certificate over TLS 1.3 and unknown names the default', async () => {
      const ca = readFileSync(pki.caFile);
      const a = await httpsGet(edge!.port, 'a.test', '/', ca);
      const b = await httpsGet(edge!.port, 'b.test', '/', ca);
      const other = await httpsGet(edge!.port, 'fallback.test', '/', ca, { host: 'fallback.test' });
      assert.deepEqual([a.subject, a.protocol], ['a.test', 'TLSv1.3']);
      assert.deepEqual([b.subject, b.protocol], ['b.test', 'TLSv1.3']);
      assert.equal(other.subject, 'fallback.test');
    });

    it('proxies a request to the origin with forwarding headers', async () => {
      const res = await httpsGet(edge!.port, 'a.test', '/hello?x=1', readFileSync(pki.caFile));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'origin GET a.test /hello?x=1\n');
      const seen = origin.seen.at(-1)!;
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen.headers['x-forwarded-proto'], 'https');
      assert.match(String(seen.headers.via), /1\.1 tlsedge/);
    });

    it('records every step of one request as events with one correlation id, stored and live', async () => {
      const res = await httpsGet(edge!.port, 'b.test', '/events-check', readFileSync(pki.caFile));
      assert.equal(res.status, 200);
      const stored = await storedConnection(edge!, (ev) => ev.some((e) => fact(e) === 'origin_bound' && (e.data as { path: string }).path === '/events-check'));
      assert.deepEqual(stored.map(fact), FACTS_OF_ONE_REQUEST);
      const id = stored[0]!.correlationid;
      assert.ok(stored.every((e) => e.correlationid === id && e.specversion === '1.0' && e.source.length > 0));
      assert.deepEqual(stored.map((e) => e.sequence), [1, 2, 3, 4, 5, 6, 7]);
      const hello = stored[1]!.data as { sni: string; alpn: string[]; ja4: string };
      assert.equal(hello.sni, 'b.test');
      assert.match(hello.ja4, /^t13d\d{4}/);
      const done = stored[3]!.data as { version: string; cipher: string; resumed: string | null };
      assert.equal(done.version, '1.3');
      assert.match(done.cipher, /^TLS_/);
      assert.equal(done.resumed, null);
      const liveIds = edge!.live.filter((e) => e.correlationid === id).map(fact);
      assert.deepEqual(liveIds, FACTS_OF_ONE_REQUEST, 'live subscribers see the same events');
    });

    it('replays a connection through the statechart and re-decides it under another config', async () => {
      await httpsGet(edge!.port, 'a.test', '/replay-me', readFileSync(pki.caFile));
      const events = await storedConnection(edge!, (ev) => ev.some((e) => (e.data as { path?: string }).path === '/replay-me'));
      const replay = replayConnection(events);
      assert.deepEqual(replay.steps.map((s) => s.state), ['accept', 'accept', 'handshaking', 'established', 'originBound', 'originBound', 'closed']);
      assert.ok(replay.steps.every((s) => !s.ignored));

      const same = recheckDecisions(events, edge!.config, fileFingerprints());
      assert.ok(same.every((c) => c.same), JSON.stringify(same));

      const newCert = await pki.issue('a2', { names: ['a.test'] });
      const changed = configFromObject(
        { certificates: edge!.config.certificates.map((c) => ({ names: c.names, cert: c.id === 'a.test' ? newCert.certFile : c.cert, key: c.id === 'a.test' ? newCert.keyFile : (c.key as { path: string }).path, default: c.default })), origins: [{ match: {}, to: 'http://127.0.0.1:9' }] },
        dir,
      );
      const diff = recheckDecisions(events, changed, fileFingerprints());
      const byWhat = Object.fromEntries(diff.map((c) => [c.what.split(' ')[0], c]));
      assert.equal(byWhat.certificate!.same, false);
      assert.match(byWhat.certificate!.detail!, /a\.test \(sha256 [0-9a-f]{16}…\) → a\.test \(sha256 [0-9a-f]{16}…\)/);
      assert.equal(byWhat.request!.same, false, 'the origin changed too');
    });

    it('answers garbage, plain HTTP and a stalled hello, and records each as handshake_failed', async () => {
      const exchange = (bytes: Buffer | undefined) =>
        new Promise<Buffer>((resolve) => {
          const s = netConnect(edge!.port, '127.0.0.1', () => bytes && s.write(bytes));
          const got: Buffer[] = [];
          s.on('data', (d) => got.push(d));
          s.on('close', () => resolve(Buffer.concat(got)));
          s.on('error', () => {});
        });
      const garbage = await exchange(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00]));
      assert.deepEqual([...garbage.subarray(0, 2)], [21, 3], 'a TLS alert record');
      const http = await exchange(Buffer.from('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'));
      assert.match(http.toString(), /^HTTP\/1\.1 400 /);
      assert.match(http.toString(), /speaks HTTPS/);
      const stalled = await exchange(Buffer.from([0x16, 0x03, 0x01]));
      assert.equal(stalled.length, 0, 'closed without a reply after the hello timeout');
      const reasons = new Set<string>();
      const deadline = Date.now() + 5000;
      while (reasons.size < 3 && Date.now() < deadline) {
        await edge!.built.eventLog.sink.flush();
        for await (const e of edge!.built.eventLog.reader.read({ types: ['tlsedge.connection.handshake_failed'] })) reasons.add((e.data as { reason: string }).reason);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const r of ['unexpected_message', 'plain_http', 'hello_timeout']) assert.ok(reasons.has(r) || (r === 'unexpected_message' && [...reasons].some((x) => /decode|unexpected|illegal/.test(x))), `${r} in ${[...reasons]}`);
    });

    it('answers 502 and records origin_failed when the origin refuses connections', async () => {
      const res = await httpsGet(edge!.port, 'a.test', '/dead/x', readFileSync(pki.caFile));
      assert.equal(res.status, 502);
      const events = await storedConnection(edge!, (ev) => ev.some((e) => fact(e) === 'origin_failed'));
      const failed = events.find((e) => fact(e) === 'origin_failed')!.data as { status: number; reason: string };
      assert.equal(failed.status, 502);
      assert.match(failed.reason, /refused|connect/);
    });

    it('counts handshakes by result, version and configured name, their durations and origin requests in /metrics', async () => {
      const metrics = edge!.built.runtime.metrics;
      const read = async () => {
        const text = await metrics.metrics();
        return {
          completed: sample(text, 'tlsedge_handshakes_total', { result: 'completed', version: '1.3', sni: 'a.test', resumed: 'none' }),
          durations: sample(text, 'tlsedge_handshake_duration_seconds_count', { version: '1.3' }),
          ok: sample(text, 'tlsedge_origin_requests_total', { status: '2xx' }),
          refused: sample(text, 'tlsedge_origin_requests_total', { status: '502' }),
          accepted: sample(text, 'tlsedge_connections_total', {}),
          failed: sample(text, 'tlsedge_handshakes_total', { result: 'failed', version: 'none', sni: 'none', resumed: 'none' }),
        };
      };
      const before = await read();
      const ca = readFileSync(pki.caFile);
      for (const path of ['/m1', '/m2']) assert.equal((await httpsGet(edge!.port, 'a.test', path, ca)).status, 200);
      assert.equal((await httpsGet(edge!.port, 'a.test', '/dead/m3', ca)).status, 502);
      await new Promise<void>((resolve) => {
        // a TLS handshake record whose body is not a ClientHello: refused before any policy
        const s = netConnect(edge!.port, '127.0.0.1', () => s.write(Buffer.from([22, 3, 1, 0, 5, 1, 0, 0, 1, 0])));
        s.on('error', () => undefined).on('close', () => resolve()).resume();
      });
      const after = await read();
      assert.equal(after.completed - before.completed, 3);
      assert.equal(after.durations - before.durations, 3);
      assert.equal(after.ok - before.ok, 2);
      assert.equal(after.refused - before.refused, 1);
      assert.equal(after.accepted - before.accepted, 4);
      assert.equal(after.failed - before.failed, 1, 'the refused hello counts as a failed handshake, sni "none"');
    });

    it('serves a request that comes late, ends a connection that never sends one, and answers a half-close', async () => {
      const ca = readFileSync(pki.caFile);
      // a request sent 300 ms after the handshake (the HTTP state is built on its first bytes)
      const late = await tlsOpen(edge!.port, 'a.test', ca);
      await new Promise((r) => setTimeout(r, 300));
      late.socket.write('GET /late HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n');
      const answer = (await late.closed).toString();
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /origin GET a\.test \/late\n$/);
      // silent for limits.idle_timeout (1 s): the proxy ends it
      const silent = await tlsOpen(edge!.port, 'a.test', ca);
      const opened = Date.now();
      assert.equal((await silent.closed).length, 0, 'no bytes, just the end');
      const waited = Date.now() - opened;
      assert.ok(waited >= 900 && waited < 4000, `ended after ${waited} ms`);
      // a client that half-closes before asking anything gets the end of our side at once
      const quitter = await tlsOpen(edge!.port, 'a.test', ca);
      const quitAt = Date.now();
      quitter.socket.end();
      await quitter.closed;
      assert.ok(Date.now() - quitAt < 900, 'not left to the idle timeout');
      const events = await storedConnection(edge!, (ev) => ev.some((e) => fact(e) === 'accepted' && (e.data as { remotePort: number }).remotePort === silent.localPort));
      assert.deepEqual(events.map(fact), ['accepted', 'client_hello_received', 'policy_selected', 'handshake_completed', 'closed']);
      assert.equal((events.at(-1)!.data as { state: string; requests: number }).state, 'established');
    });

    it('counts the first request head’s time limit from the handshake, not from its first byte', async () => {
      const slow = await tlsOpen(edge!.port, 'a.test', readFileSync(pki.caFile));
      const opened = Date.now();
      await new Promise((r) => setTimeout(r, 600));
      slow.socket.write('GET /slow HTTP/1.1\r\nHost: a.test\r\n'); // a head that never completes
      const answer = (await slow.closed).toString();
      const waited = Date.now() - opened;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(waited >= 900 && waited < 1500, `408 after ${waited} ms: idle_timeout (1 s) from the handshake`);
    });

    it('answers 421 when the Host belongs to another policy than the connection', async () => {
      const res = await httpsGet(edge!.port, 'a.test', '/', readFileSync(pki.caFile), { host: 'b.test' });
      assert.equal(res.status, 421);
    });
  });
}

edgeScenarios('memory', false);
edgeScenarios('nats', missingTools('nats-server'));

/** A TLS 1.3 connection to the edge, established; `closed` resolves with every byte received. */
async function tlsOpen(port: number, servername: string, ca: Buffer): Promise<{ socket: TLSSocket; localPort: number; closed: Promise<Buffer> }> {
  const socket = tlsConnect({ port, host: '127.0.0.1', servername, ca, minVersion: 'TLSv1.3' });
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  const closed = new Promise<Buffer>((resolve) => socket.on('close', () => resolve(Buffer.concat(got))));
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  return { socket, localPort: socket.localPort!, closed };
}

/** One sample of a Prometheus text exposition with exactly these labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if ((m[2] ?? '').split(',').filter(Boolean).sort().join(',') === want) return Number(m[3]);
  }
  return 0;
}
