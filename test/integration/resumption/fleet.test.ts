// Fleet-wide resumption in one process: three proxies, a session store and the key rotator on one
// in-memory bus (the same actors `tlsedge run` starts over NATS). Real `openssl s_client` sessions
// move between proxies; rotation, key removal and policy scoping are observed in events.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { keyRotationSubjects, type KeyStatusReply } from '../../../actors/key-rotation/commands.js';
import { startKeyRotationActor, type RunningKeyRotation } from '../../../actors/key-rotation/actor.js';
import { evolve, foldKeyBlock, initialKeyBlockState, isTicketKeyEvent } from '../../../actors/key-rotation/state.js';
import type { TicketKeyEvent } from '../../../actors/key-rotation/events.js';
import { startProxyProcess, type ProxyProcess } from '../../../actors/proxy/process.js';
import { startSessionStoreActor, type RunningSessionStore } from '../../../actors/session-store/actor.js';
import { buildRuntime, type BuiltRuntime } from '../../../actors/system/build-runtime.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { JsonlEventReader } from '../../../bus/log/jsonl-reader.js';
import { MemoryBus } from '../../../bus/memory/transport.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { fleetConfigObject, fleetPki, sclient, waitFor, type FleetPki } from './support.js';

const PROXIES = ['p1', 'p2', 'p3'] as const;

describe('fleet resumption over the memory bus', { skip: missingTools('openssl') }, () => {
  let dir: string;
  let pki: TestCa;
  let f: FleetPki;
  const bus = new MemoryBus();
  const built: BuiltRuntime[] = [];
  const proxies = new Map<string, { built: BuiltRuntime; proxy: ProxyProcess; port: number }>();
  let rotator: RunningKeyRotation;
  let rotatorRuntime: BuiltRuntime;
  let store: RunningSessionStore;
  const events: AnyEvent[] = [];
  /** Each handshake the proxies completed: its version, and whether its server had session-ID listeners. */
  const served: Array<{ node: string; sni: string | false | null; version: string | null; sessionListeners: number }> = [];

  async function runtimeFor(node: string): Promise<BuiltRuntime> {
    const config = configFromObject(fleetConfigObject(pki, f, { node, busUrl: 'memory://', logDir: join(dir, node), stream: 'unused' }), dir);
    const b = await buildRuntime(config, { role: node, log: memoryLogger(), bus });
    built.push(b);
    return b;
  }

  before(async () => {
    dir = tempDir('tlsedge-fleet-');
    pki = await createTestCa();
    f = await fleetPki(pki, dir);
    bus.subscribe(ALL_EVENTS, (m) => events.push(m.data as unknown as AnyEvent));
    rotatorRuntime = await runtimeFor('rot');
    rotator = await startKeyRotationActor(rotatorRuntime.runtime, { announceEveryMs: 300 });
    store = await startSessionStoreActor((await runtimeFor('store')).runtime);
    for (const node of PROXIES) {
      const b = await runtimeFor(node);
      const proxy = await startProxyProcess(b.runtime, {
        configureNative: (server) => server.on('secureConnection', (s: TLSSocket) => served.push({ node, sni: s.servername, version: s.getProtocol(), sessionListeners: server.listenerCount('newSession') + server.listenerCount('resumeSession') })),
      });
      proxies.set(node, { built: b, proxy, port: proxy.proxy.listeners[0]!.port });
    }
    await waitFor(() => PROXIES.every((p) => proxies.get(p)!.proxy.resumption!.fleetKeys().keys.some((k) => k.status === 'active')), 'every proxy holds an active key');
  });

  after(async () => {
    for (const { proxy } of proxies.values()) await proxy.stop();
    await store?.stop();
    await rotator?.stop();
    for (const b of built) await b.close();
    await bus.close();
  });

  /** Runs s_client against `node` and returns its result with the proxy's handshake_completed data. */
  async function handshake(node: string, o: Parameters<typeof sclient>[1]) {
    const before = events.length;
    const r = await sclient(proxies.get(node)!.port, o);
    const event = await waitFor(() => events.slice(before).find((e) => e.type === 'tlsedge.connection.handshake_completed' && e.source.includes(`/${node}/`)), `handshake_completed on ${node}`);
    return { ...r, data: event.data as { resumed: string | null; resumeMiss?: { mechanism: string; reason: string }; issuedBy?: string; resumedElsewhere?: boolean } };
  }

  for (const version of ['1.3', '1.2'] as const) {
    it(`resumes a TLS ${version} ticket issued by p1 on p2 and p3`, async () => {
      const sess = join(dir, `t${version}.pem`);
      const first = await handshake('p1', { servername: 'a.test', version, sessOut: sess });
      assert.equal(first.reused, false, first.output);
      for (const node of ['p2', 'p3']) {
        const again = await handshake(node, { servername: 'a.test', version, sessIn: sess });
        assert.equal(again.reused, true, `${node}: ${again.line}`);
        assert.equal(again.data.resumed, 'ticket');
        assert.equal(again.data.issuedBy, 'p1');
        assert.equal(again.data.resumedElsewhere, true);
      }
    });
  }

  it('resumes TLS 1.2 session IDs across proxies when tickets are off for the certificate', async () => {
    const sess = join(dir, 'sid.pem');
    await handshake('p1', { servername: 'c.test', version: '1.2', sessOut: sess });
    for (const node of ['p2', 'p3']) {
      const again = await handshake(node, { servername: 'c.test', version: '1.2', sessIn: sess });
      assert.equal(again.reused, true, `${node}: ${again.line}`);
      assert.equal(again.data.resumed, 'session_id');
      assert.equal(again.data.issuedBy, 'p1');
    }
    assert.ok(events.some((e) => e.type === 'tlsedge.session.stored'), 'the store recorded the session');
    assert.ok(events.some((e) => e.type === 'tlsedge.session.resumed' && (e.data as { elsewhere: boolean }).elsewhere));
  });

  it('serves TLS 1.3 handshakes from servers without session-ID listeners (never used in 1.3), TLS 1.2 ones from servers with them', async () => {
    for (const version of ['1.3', '1.2'] as const) {
      const before = served.length;
      await handshake('p1', { servername: 'c.test', version });
      const got = await waitFor(() => served.slice(before).find((h) => h.node === 'p1' && h.sni === 'c.test'), `p1 serves c.test over TLS ${version}`);
      assert.equal(got.version, `TLSv${version}`);
      if (version === '1.3') assert.equal(got.sessionListeners, 0);
      else assert.equal(got.sessionListeners, 2);
    }
  });

  for (const version of ['1.3', '1.2'] as const) {
    it(`never resumes an a.test TLS ${version} ticket on b.test, which requires a client certificate`, async () => {
      const sess = join(dir, `x${version}.pem`);
      await handshake('p1', { servername: 'a.test', version, sessOut: sess });
      const cross = await handshake('p2', { servername: 'b.test', version, sessIn: sess, cert: f.client.certFile, key: f.client.keyFile });
      assert.equal(cross.reused, false, cross.line);
      assert.equal(cross.data.resumed, null);
      assert.deepEqual(cross.data.resumeMiss, { mechanism: 'ticket', reason: 'policy_mismatch' });
    });
  }

  it('never resumes an a.test session ID on b.test', async () => {
    const sess = join(dir, 'xsid.pem');
    await handshake('p1', { servername: 'a.test', version: '1.2', sessOut: sess, noTicket: true });
    const same = await handshake('p3', { servername: 'a.test', version: '1.2', sessIn: sess, noTicket: true });
    assert.equal(same.reused, true, `control: the session resumes under its own policy (${same.line})`);
    const cross = await handshake('p2', { servername: 'b.test', version: '1.2', sessIn: sess, noTicket: true, cert: f.client.certFile, key: f.client.keyFile });
    assert.equal(cross.reused, false, cross.line);
    assert.deepEqual(cross.data.resumeMiss, { mechanism: 'session_id', reason: 'policy_mismatch' });
    assert.ok(events.some((e) => e.type === 'tlsedge.session.missed' && (e.data as { reason: string }).reason === 'policy_mismatch'));
  });

  it('keeps resuming a ticket across a rotation until its key is removed, then says unknown_key', async () => {
    const sess = join(dir, 'rot.pem');
    await handshake('p1', { servername: 'a.test', version: '1.3', sessOut: sess });
    const epochBefore = (await status()).keys.find((k) => k.status === 'active')!.epoch;

    await rotateAndWait(epochBefore + 1);
    for (const node of PROXIES) {
      const r = await handshake(node, { servername: 'a.test', version: '1.3', sessIn: sess });
      assert.equal(r.reused, true, `${node} after one rotation (key retired, keep: 1): ${r.line}`);
    }
    await rotateAndWait(epochBefore + 2);
    for (const node of PROXIES) {
      const r = await handshake(node, { servername: 'a.test', version: '1.3', sessIn: sess });
      assert.equal(r.reused, false, `${node} after its key was removed: ${r.line}`);
      assert.deepEqual(r.data.resumeMiss, { mechanism: 'ticket', reason: 'unknown_key' });
    }
  });

  it('activates a key only once every live proxy holds it', () => {
    const activated = events.filter((e) => e.type === 'tlsedge.ticketkey.activated');
    assert.ok(activated.length >= 3);
    // the first key may activate before any proxy started; every later one waited for all three
    for (const e of activated.slice(1)) assert.deepEqual((e.data as { acknowledgedBy: string[] }).acknowledgedBy, [...PROXIES]);
    assert.equal(events.filter((e) => e.type === 'tlsedge.ticketkey.stage_timed_out').length, 0);
  });

  it('rebuilds the same block from the log, and every prefix folds to the state recorded live', async () => {
    await rotatorRuntime.eventLog.sink.flush();
    const reader = new JsonlEventReader(join(dir, 'rot'));
    const logged: AnyEvent[] = [];
    for await (const e of reader.read({ types: ['tlsedge.ticketkey.*'] })) logged.push(e);
    await reader.close();
    const live = events.filter(isTicketKeyEvent);
    assert.deepEqual(logged.map((e) => e.id), live.map((e) => e.id), 'no event lost between bus and log');
    let incremental = initialKeyBlockState;
    for (let i = 0; i < logged.length; i++) {
      incremental = evolve(incremental, logged[i] as unknown as TicketKeyEvent);
      assert.deepEqual(foldKeyBlock(logged.slice(0, i + 1)), incremental);
    }
    assert.deepEqual(incremental, rotator.state());
    const text = JSON.stringify(logged);
    assert.doesNotMatch(text, /"material"/);
  });

  it('counts resumptions of sessions another node issued', async () => {
    const metrics = await proxies.get('p2')!.built.runtime.metrics.metrics();
    assert.match(metrics, /tlsedge_resumed_elsewhere_total\{mechanism="ticket"\} [1-9]/);
    assert.match(metrics, /tlsedge_resumption_misses_total\{mechanism="ticket",reason="policy_mismatch"\} [1-9]/);
  });

  async function status(): Promise<KeyStatusReply> {
    return (await bus.request(keyRotationSubjects.status, {}, { timeoutMs: 2000 })) as unknown as KeyStatusReply;
  }

  async function rotateAndWait(epoch: number): Promise<void> {
    await bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 2000 });
    await waitFor(async () => {
      const s = await status();
      return s.keys.find((k) => k.status === 'active')?.epoch === epoch && PROXIES.every((p) => proxies.get(p)!.proxy.resumption!.fleetKeys().keys.find((k) => k.status === 'active')?.epoch === epoch);
    }, `epoch ${epoch} active everywhere`);
  }
});
