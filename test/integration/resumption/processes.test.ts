// The acceptance run of fleet-wide resumption: a real nats-server (JetStream), three `tlsedge run
// proxy` processes, one session store and two key rotators (one leads), and real `openssl s_client
// -sess_out/-sess_in`. Sessions move between proxies; the leader is killed mid-run; NATS is stopped
// and restarted; afterwards the event log and every process's output are scanned for key and session
// bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deriveScopedParts, nodeTag, ticketScope } from '../../../adapters/crypto/ticket-scope.js';
import { parseTicketKeyFile } from '../../../adapters/crypto/ticket-key-file.js';
import { keyRotationSubjects, type KeyStatusReply } from '../../../actors/key-rotation/commands.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { JetStreamEventReader } from '../../../bus/log/jetstream-reader.js';
import { connectNatsBus, type NatsBus } from '../../../bus/nats/transport.js';
import { runCli, startCli } from '../../support/cli.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { freePort, tempDir, waitForPort, type Started } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { fleetConfigObject, fleetPki, sclient, waitFor, type FleetPki, type SClientOptions } from './support.js';

const PROXIES = ['pa', 'pb', 'pc'] as const;

describe('fleet resumption across processes over NATS', { skip: missingTools('nats-server', 'openssl') }, () => {
  let nats: RunningNats;
  let dir: string;
  let pki: TestCa;
  let f: FleetPki;
  let bus: NatsBus;
  const stream = `EVT_${randomBytes(3).toString('hex')}`;
  const ports = new Map<string, number>();
  const procs = new Map<string, Started>();
  /** Handshakes this test made, per proxy: the log must hold exactly as many. */
  const made = new Map<string, number>(PROXIES.map((p) => [p, 0]));
  const secrets = new Set<Buffer>();
  const configFile = (node: string) => join(dir, `${node}.yaml`);

  function writeConfig(node: string, listen?: string): void {
    const obj = fleetConfigObject(pki, f, { node, busUrl: nats.url, logDir: join(dir, node), stream, ...(listen ? { listen } : {}) });
    writeFileSync(configFile(node), JSON.stringify(obj, null, 2)); // JSON is YAML
  }

  function launch(kind: string, node: string): void {
    procs.set(node, startCli(['run', kind, '--config', configFile(node)], { env: { ...process.env, TLSEDGE_LOG_FORMAT: 'json' } }));
  }

  async function handshake(node: string, o: SClientOptions) {
    made.set(node, made.get(node)! + 1);
    return sclient(ports.get(node)!, o);
  }

  async function status(): Promise<KeyStatusReply> {
    return (await bus.request(keyRotationSubjects.status, {}, { timeoutMs: 2000 })) as unknown as KeyStatusReply;
  }

  before(async () => {
    nats = await startNats({ jetstream: true });
    dir = tempDir('tlsedge-fleet-nats-');
    pki = await createTestCa();
    f = await fleetPki(pki, dir);
    secrets.add(readFileSync(f.fleetKeyFile));
    for (const node of PROXIES) {
      const port = await freePort();
      ports.set(node, port);
      writeConfig(node, `127.0.0.1:${port}`);
    }
    for (const node of ['store', 'rot1', 'rot2']) writeConfig(node);
    launch('session-store', 'store');
    launch('key-rotation', 'rot1');
    await waitFor(() => procs.get('rot1')!.output().includes('ticket-key rotation: leader'), 'rot1 leads', 30_000);
    launch('key-rotation', 'rot2');
    for (const node of PROXIES) launch('proxy', node);
    for (const node of PROXIES) await waitForPort(ports.get(node)!, '127.0.0.1', 30_000);
    bus = await connectNatsBus({ url: nats.url, transport: 'nats', servers: [nats.url] }, { name: 'test' });
    await waitFor(async () => {
      const s = await status().catch(() => undefined);
      const active = s?.keys.find((k) => k.status === 'active');
      return active && s!.proxies.length === 3 && s!.proxies.every((p) => p.encrypting === active.id);
    }, 'every proxy encrypts with the active key', 30_000);
  });

  after(async () => {
    await bus?.close();
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await nats?.stop();
  });

  for (const version of ['1.3', '1.2'] as const) {
    it(`resumes on B and C a TLS ${version} ticket issued on A`, async () => {
      const sess = join(dir, `t${version}.pem`);
      assert.equal((await handshake('pa', { servername: 'a.test', version, sessOut: sess })).reused, false);
      addMasterKey(sess);
      for (const node of ['pb', 'pc']) {
        const r = await handshake(node, { servername: 'a.test', version, sessIn: sess });
        assert.equal(r.reused, true, `${node}: ${r.line}`);
      }
    });
  }

  it('resumes on B and C a TLS 1.2 session ID issued on A, with tickets off', async () => {
    const sess = join(dir, 'sid.pem');
    await handshake('pa', { servername: 'c.test', version: '1.2', sessOut: sess });
    addMasterKey(sess);
    for (const node of ['pb', 'pc']) {
      const r = await handshake(node, { servername: 'c.test', version: '1.2', sessIn: sess });
      assert.equal(r.reused, true, `${node}: ${r.line}`);
    }
  });

  it('never resumes a.test sessions on b.test, which requires a client certificate', async () => {
    const t = join(dir, 'cross.pem');
    await handshake('pa', { servername: 'a.test', version: '1.3', sessOut: t });
    const client = { cert: f.client.certFile, key: f.client.keyFile };
    assert.equal((await handshake('pb', { servername: 'b.test', version: '1.3', sessIn: t, ...client })).reused, false);
    const s = join(dir, 'cross-sid.pem');
    await handshake('pa', { servername: 'a.test', version: '1.2', sessOut: s, noTicket: true });
    assert.equal((await handshake('pc', { servername: 'b.test', version: '1.2', sessIn: s, noTicket: true, ...client })).reused, false);
  });

  it('keeps a pre-rotation ticket working until its key leaves the block, across a leader change', async () => {
    const sess = join(dir, 'rotation.pem');
    await handshake('pa', { servername: 'a.test', version: '1.3', sessOut: sess });
    const cli = await runCli(['keys', 'rotate', '--wait', '--config', configFile('rot1')], { timeoutMs: 60_000 });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /is active/);
    for (const node of PROXIES) assert.equal((await handshake(node, { servername: 'a.test', version: '1.3', sessIn: sess })).reused, true, `${node} after one rotation`);

    // Kill the leader: the other rotator takes the lease and continues the same block.
    const before = await status();
    const leader = before.leader!;
    await procs.get(leader)!.stop(0);
    const after = await waitFor(async () => {
      const s = await status().catch(() => undefined);
      return s && s.leader !== leader ? s : undefined;
    }, 'a new leader', 20_000);
    assert.ok(after.term > before.term, 'the new leader has a higher term');
    assert.deepEqual(after.keys.map((k) => [k.id, k.epoch, k.status]), before.keys.map((k) => [k.id, k.epoch, k.status]), 'same block');

    const r = await bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 2000 }) as { epoch: number };
    await waitFor(async () => (await status()).proxies.every((p) => p.encryptingEpoch === r.epoch) || undefined, `epoch ${r.epoch} everywhere`, 20_000);
    for (const node of PROXIES) assert.equal((await handshake(node, { servername: 'a.test', version: '1.3', sessIn: sess })).reused, false, `${node} after its key was removed`);
    const status2 = await runCli(['keys', 'status', '--config', configFile('pa')]);
    assert.equal(status2.code, 0, status2.stderr);
    assert.match(status2.stdout, /pa +encrypts with epoch \d+; holds epochs/);
  });

  it('keeps serving with NATS stopped and recovers resumption after it restarts, without restarting a process', async () => {
    await nats.stop();
    for (const node of PROXIES) {
      const r = await handshake(node, { servername: 'a.test', version: '1.3' });
      assert.match(r.line, /^New, TLSv1\.3/, `${node} serves a full handshake while NATS is down`);
    }
    // Tickets need no NATS once keys are held: one issued now still resumes on another proxy.
    const during = join(dir, 'during.pem');
    await handshake('pa', { servername: 'a.test', version: '1.2', sessOut: during });
    assert.equal((await handshake('pb', { servername: 'a.test', version: '1.2', sessIn: during })).reused, true);
    await nats.restart();
    // Session IDs need the fleet: after the restart, a new one from A resumes on C again.
    const afterRestart = join(dir, 'after.pem');
    await waitFor(async () => {
      await handshake('pa', { servername: 'c.test', version: '1.2', sessOut: afterRestart });
      return (await handshake('pc', { servername: 'c.test', version: '1.2', sessIn: afterRestart })).reused;
    }, 'session-ID resumption across proxies after the restart', 30_000);
    addMasterKey(afterRestart);
  });

  it('lost no event: every handshake made is in the log, and the block replays from it', async () => {
    const reader = new JetStreamEventReader(bus.connection, stream);
    const logged: AnyEvent[] = [];
    await waitFor(async () => {
      logged.length = 0;
      // (completed only: waitForPort's probes show up as handshake_failed `client_closed`)
      for await (const e of reader.read({ types: ['tlsedge.connection.handshake_completed'] })) logged.push(e);
      return PROXIES.every((p) => logged.filter((e) => e.source.includes(`/${p}/`)).length >= made.get(p)!) || undefined;
    }, 'every handshake durable', 20_000).catch(() => undefined);
    await reader.close();
    for (const p of PROXIES) assert.equal(logged.filter((e) => e.source.includes(`/${p}/`)).length, made.get(p), `handshakes of ${p} in the log`);
    const misses = logged.map((e) => (e.data as { resumeMiss?: { reason: string } }).resumeMiss?.reason).filter(Boolean);
    assert.ok(misses.includes('unknown_key'), 'the removed key shows as unknown_key');
    assert.ok(misses.includes('policy_mismatch'), 'the cross-name attempt shows as policy_mismatch');

    // No proxy ever encrypted with a key another live proxy could not decrypt: every key activated
    // once all three were up was acknowledged by all three first, and no wait timed out.
    const keyReader = new JetStreamEventReader(bus.connection, stream);
    const keyEvents: AnyEvent[] = [];
    for await (const e of keyReader.read({ types: ['tlsedge.ticketkey.*'] })) keyEvents.push(e);
    await keyReader.close();
    const activations = keyEvents.filter((e) => e.type === 'tlsedge.ticketkey.activated').map((e) => (e.data as { acknowledgedBy: string[] }).acknowledgedBy);
    assert.ok(activations.length >= 3, 'initial key and two rotations');
    for (const acks of activations.slice(1)) assert.deepEqual(acks, [...PROXIES]);
    assert.equal(keyEvents.filter((e) => e.type === 'tlsedge.ticketkey.stage_timed_out').length, 0);
    assert.ok(keyEvents.filter((e) => e.type === 'tlsedge.ticketkey.leader_elected').length >= 2, 'the takeover is in the log');

    const replay = await runCli(['replay', '--actor', 'key-rotation', '--config', configFile('pa')]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /leader_elected/);
    assert.match(replay.stdout, /epoch +\d+ +k[0-9a-f]+ +active/);
    assert.doesNotMatch(replay.stdout, /sealed/);
  });

  it('puts no key or session secret in any event, log line or error', async () => {
    const exported = join(dir, 'export.keys');
    const cli = await runCli(['keys', 'export', exported, '--config', configFile('pa')]);
    assert.equal(cli.code, 0, cli.stderr);
    const blockKeys = parseTicketKeyFile(readFileSync(exported));
    // the block's keys, and what each policy and node actually loads into OpenSSL
    const scopes = [
      ticketScope({ certificate: readFileSync(f.a.certFile, 'utf8'), clientCertMode: 'none', clientCa: '' }),
      ticketScope({ certificate: readFileSync(f.b.certFile, 'utf8'), clientCertMode: 'require', clientCa: readFileSync(pki.caFile, 'utf8') }),
    ];
    for (const k of blockKeys) {
      secrets.add(k);
      for (const scope of scopes) {
        const parts = deriveScopedParts(k, scope);
        secrets.add(parts.secrets);
        for (const node of PROXIES) secrets.add(Buffer.concat([Buffer.from(parts.scopeName, 'hex'), nodeTag(node), parts.secrets]).subarray(16));
      }
    }
    const reader = new JetStreamEventReader(bus.connection, stream);
    let log = '';
    for await (const e of reader.read()) log += JSON.stringify(e) + '\n';
    await reader.close();
    assert.ok(log.length > 10_000);
    const outputs = [...procs.values()].map((p) => p.output()).join('\n') + cli.stdout + cli.stderr;
    for (const secret of secrets) {
      for (const form of [secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64'), secret.toString('base64url')]) {
        assert.equal(log.includes(form), false, `a secret (${secret.length} bytes) appears in the event log`);
        assert.equal(outputs.includes(form), false, `a secret (${secret.length} bytes) appears in process output`);
      }
    }
  });

  /** The session's master secret, from openssl's own reading of the saved session. */
  function addMasterKey(sessFile: string): void {
    const text = execFileSync('openssl', ['sess_id', '-in', sessFile, '-noout', '-text'], { encoding: 'utf8' });
    const hex = /Master-Key: ([0-9A-F]+)/.exec(text)?.[1];
    if (hex) secrets.add(Buffer.from(hex, 'hex'));
    const resumption = /Resumption PSK: ([0-9A-F]+)/.exec(text)?.[1];
    if (resumption) secrets.add(Buffer.from(resumption, 'hex'));
  }
});
