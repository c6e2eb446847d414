// The offload engine distributed over a real nats-server, started exactly as an operator would:
// `tlsedge run signer`, `run session-store`, `run key-rotation` and two `run proxy` processes sharing
// one config. The signature of every full handshake is made in the signer process; tickets sealed
// on one proxy resume on the other (the fleet block), stateful sessions move through the store once;
// a stopped signer ends handshakes with internal_error, and a client that leaves mid-signature
// cancels its request on the signer; events are read back with the CLI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { keyRotationSubjects, type KeyStatusReply } from '../../../actors/key-rotation/commands.js';
import { CANCEL_SUBJECT, signSubject } from '../../../actors/signer/commands.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { connectNatsBus, type NatsBus } from '../../../bus/nats/transport.js';
import { runCli, startCli } from '../../support/cli.js';
import { startNats, type RunningNats } from '../../support/nats.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { freePort, tempDir, waitForOutput, waitForPort, type Started } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { curl, sclient, waitFor } from './support.js';

const PROXIES = ['pa', 'pb'] as const;

describe('the offload engine across processes over NATS', { skip: missingTools('nats-server', 'openssl', 'curl') }, () => {
  let nats: RunningNats;
  let dir: string;
  let pki: TestCa;
  let bus: NatsBus;
  const ports = new Map<string, number>();
  const procs = new Map<string, Started>();
  const file = (node: string) => join(dir, `${node}.yaml`);

  before(async () => {
    nats = await startNats({ jetstream: true });
    dir = tempDir('tlsedge-offload-nats-');
    pki = await createTestCa();
    const a = await pki.issue('a', { names: ['a.test'] });
    const s = await pki.issue('s', { names: ['s.test'], keyType: 'rsa2048' });
    const n = await pki.issue('n', { names: ['n.test'] });
    writeFileSync(join(dir, 'fleet.key'), randomBytes(32), { mode: 0o600 });
    for (const node of PROXIES) ports.set(node, await freePort());
    for (const node of [...PROXIES, 'signer', 'store', 'rot']) {
      const config = {
        node_id: node,
        listen: [{ address: `127.0.0.1:${ports.get(node) ?? 0}` }],
        admin: { address: null },
        bus: { url: nats.url },
        fleet_key_file: join(dir, 'fleet.key'),
        // The default stream (TLSEDGE_EVENTS): this file's nats-server is its own.
        log: { dir: join(dir, `log-${node}`), fsync: 'never' },
        session: { tickets: { rotate_every: '1h', stage_timeout: '3s', keep: 1, lease_ttl: '3s' }, cache: { lookup_timeout: '500ms' } },
        certificates: [
          { names: ['a.test'], cert: a.certFile, key: { signer: 'soft', label: 'a' } },
          { names: ['s.test'], cert: s.certFile, key: { signer: 'soft', label: 's' }, tickets: { enabled: false } },
          { names: ['n.test'], cert: n.certFile, key: n.keyFile, default: true },
        ],
        signers: [{ name: 'soft', type: 'software', timeout: '1s', keys: [{ label: 'a', file: a.keyFile }, { label: 's', file: s.keyFile }] }],
        origins: [{ match: { path_prefix: '/' }, to: 'http://127.0.0.1:9' }],
      };
      writeFileSync(file(node), JSON.stringify(config, null, 2)); // JSON is YAML
    }
    const env = { ...process.env, TLSEDGE_LOG_FORMAT: 'json', TLSEDGE_LOG_LEVEL: 'info' };
    const launch = (kind: string, node: string) => procs.set(node, startCli(['run', kind, '--config', file(node)], { env }));
    launch('session-store', 'store');
    launch('key-rotation', 'rot');
    launch('signer', 'signer');
    await waitForOutput(procs.get('rot')!, (o) => o.includes('ticket-key rotation: leader'), 30_000);
    await waitForOutput(procs.get('signer')!, (o) => o.includes('signer running'), 30_000);
    for (const node of PROXIES) launch('proxy', node);
    for (const node of PROXIES) await waitForPort(ports.get(node)!, '127.0.0.1', 30_000);
    bus = await connectNatsBus({ url: nats.url, transport: 'nats', servers: [nats.url] }, { name: 'offload-test' });
    await waitFor(async () => {
      const st = (await bus.request(keyRotationSubjects.status, {}, { timeoutMs: 2000 }).catch(() => undefined)) as unknown as KeyStatusReply | undefined;
      const active = st?.keys.find((k) => k.status === 'active');
      return active && PROXIES.every((p) => st!.proxies.some((x) => x.node === p && x.encrypting === active.id));
    }, 'both proxies encrypt with the active key', 30_000);
  });

  after(async () => {
    await bus?.close();
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await nats?.stop();
  });

  it('completes handshakes on both proxies with the signature made in the signer process', async () => {
    for (const node of PROXIES) {
      const r = await sclient(ports.get(node)!, { servername: 'a.test', ca: pki.caFile });
      assert.equal(r.verified, true, `${node}: ${r.output}`);
      // The origin is closed: the proxy answers 502 — the TLS side is what this test is about.
      assert.match(r.output, /HTTP\/1\.1 502/);
    }
    const h2 = await curl(ports.get('pb')!, 'a.test', pki.caFile, '/', ['--http2', '-o', '/dev/null', '-w', '%{http_version} %{http_code}']);
    assert.equal(h2.stdout, '2 502', h2.stderr);
  });

  it('resumes on B a ticket sealed on A under the fleet block (Reused)', async () => {
    const sess = join(dir, 'ticket.pem');
    assert.equal((await sclient(ports.get('pa')!, { servername: 'a.test', ca: pki.caFile, sessOut: sess })).reused, false);
    const r = await sclient(ports.get('pb')!, { servername: 'a.test', ca: pki.caFile, sessIn: sess });
    assert.equal(r.reused, true, r.line);
    const again = await sclient(ports.get('pa')!, { servername: 'a.test', ca: pki.caFile, sessIn: sess });
    assert.equal(again.reused, true, again.line);
  });

  it('resumes on B a stateful session issued on A, through the session store, once', async () => {
    const sess = join(dir, 'session.pem');
    assert.equal((await sclient(ports.get('pa')!, { servername: 's.test', ca: pki.caFile, sessOut: sess })).reused, false);
    const r = await sclient(ports.get('pb')!, { servername: 's.test', ca: pki.caFile, sessIn: sess });
    assert.equal(r.reused, true, r.line);
    const replayed = await sclient(ports.get('pa')!, { servername: 's.test', ca: pki.caFile, sessIn: sess });
    assert.equal(replayed.reused, false, `single-use across the fleet: ${replayed.line}`);
  });

  it('ends handshakes with internal_error while the signer process is stopped, and recovers when it continues', async () => {
    const signer = procs.get('signer')!;
    signer.child.kill('SIGSTOP');
    try {
      const r = await sclient(ports.get('pa')!, { servername: 'a.test', ca: pki.caFile });
      assert.equal(r.alert, 80, `internal_error: ${r.output}`);
      const native = await sclient(ports.get('pa')!, { servername: 'n.test', ca: pki.caFile });
      assert.equal(native.verified, true, 'native names do not need the signer');
    } finally {
      signer.child.kill('SIGCONT');
    }
    const r = await sclient(ports.get('pa')!, { servername: 'a.test', ca: pki.caFile });
    assert.equal(r.verified, true, r.output);
  });

  it('tells the signer to drop the signature of a client that went away, and asks no other signer', async () => {
    const signs: string[] = [];
    const cancels: string[] = [];
    const dropped: string[] = [];
    const subs = [
      bus.subscribe(signSubject('soft'), (m) => void signs.push((m.data as { requestId: string }).requestId)),
      bus.subscribe(CANCEL_SUBJECT, (m) => void cancels.push((m.data as { requestId: string }).requestId)),
      bus.subscribe(ALL_EVENTS, (m) => {
        const e = m.data as { type: string; data: { requestId?: string; reason?: string } };
        if (e.type === 'tlsedge.signer.failed' && e.data.reason === 'cancelled') dropped.push(e.data.requestId ?? '');
      }),
    ];
    const signer = procs.get('signer')!;
    signer.child.kill('SIGSTOP');
    try {
      const client = tls.connect({ port: ports.get('pa')!, host: '127.0.0.1', servername: 'a.test', rejectUnauthorized: false });
      client.on('error', () => undefined);
      await waitFor(async () => signs.length > 0, 'the proxy asks the signer', 10_000);
      client.destroy();
      await waitFor(async () => cancels.includes(signs[0]!), 'the proxy cancels the request of the closed connection', 10_000);
      // Without the cancellation the attempt would time out after ~500 ms and go to another signer.
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(signs, [signs[0]], 'no second attempt for a connection that is gone');
    } finally {
      signer.child.kill('SIGCONT');
    }
    try {
      await waitFor(async () => dropped.includes(signs[0]!), 'the signer reports the request as cancelled', 10_000);
    } finally {
      for (const sub of subs) sub.unsubscribe();
    }
  });

  it('keeps every offload event in the JetStream log, readable with `tlsedge events` and `tlsedge replay`', async () => {
    const failed = await waitFor(async () => {
      const out = await runCli(['events', '--config', file('pa'), '--type', 'handshake_failed', '--json']);
      const lines = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { data: { reason: string; alert: string; message: string }; correlationid: string });
      return lines.find((e) => e.data.reason === 'signer_timeout');
    }, 'the signer_timeout failure in the log', 20_000);
    assert.equal(failed.data.alert, 'internal_error');
    assert.match(failed.data.message, /signer "soft" did not sign with key a \(ecdsa_secp256r1_sha256\): timeout/);
    const replay = await runCli(['replay', '--bus', nats.url, '--connection', failed.correlationid]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /handshake_offloaded[\s\S]*handshakeOffloaded[\s\S]*handshake_failed[\s\S]*signer_timeout/);
    const offloaded = await runCli(['events', '--config', file('pb'), '--type', 'handshake_offloaded']);
    assert.match(offloaded.stdout, /waiting for signer soft key=s scheme=rsa_pss_rsae_sha256/);
    const completed = await runCli(['events', '--config', file('pb'), '--type', 'handshake_completed', '--json']);
    const onB = completed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string; data: { resumed: string | null; issuedBy?: string; resumedElsewhere?: boolean } });
    for (const kind of ['ticket', 'session']) {
      assert.ok(
        onB.some((e) => e.data.resumed === kind && e.data.issuedBy === 'pa' && e.data.resumedElsewhere === true),
        `a ${kind} issued by pa resumed elsewhere: ${completed.stdout}`,
      );
    }
  });
});
