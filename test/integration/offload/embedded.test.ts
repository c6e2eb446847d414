// The offload engine through the product path, embedded: `startEmbedded` (what `tlsedge up` runs)
// with a software signer actor, the session store and the key rotator on the in-memory bus, real
// clients (curl, openssl, gnutls-cli, node). Names get the offload engine with `engine: offload`
// or implicitly through a signer-held key; the same process serves native names alongside.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { configFromObject } from '../../../adapters/config/load.js';
import type { TlsedgeConfig } from '../../../adapters/config/model.js';
import { memoryLogger } from '../../../adapters/log/logger.js';
import { replayConnection } from '../../../actors/connection/explain.js';
import { keyRotationSubjects, type KeyStatusReply } from '../../../actors/key-rotation/commands.js';
import { sessionStoreSubjects } from '../../../actors/session-store/commands.js';
import { startEmbedded, type EmbeddedSystem } from '../../../actors/system/embedded.js';
import type { AnyEvent } from '../../../bus/envelope.js';
import { ALL_EVENTS } from '../../../bus/subjects.js';
import { runCli } from '../../support/cli.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa, type TestLeaf } from '../../support/pki.js';
import { tempDir } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { runClient } from '../../unit/tls/support/clients.js';
import { bySni, closedConnection, curl, dataOf, fact, sclient, waitFor } from './support.js';

const ALERT = { protocol_version: 70, internal_error: 80, certificate_required: 116, unknown_ca: 48 } as const;

describe('the offload engine in the embedded edge', { skip: missingTools('openssl', 'curl', 'gnutls-cli') }, () => {
  let dir: string;
  let pki: TestCa;
  let otherCa: TestCa;
  let leaves: Record<string, TestLeaf>;
  let client: TestLeaf;
  let stranger: TestLeaf;
  let origin: TestOrigin;
  let config: TlsedgeConfig;
  let sys: EmbeddedSystem;
  let port: number;
  const events: AnyEvent[] = [];

  before(async () => {
    dir = tempDir('tlsedge-offload-');
    pki = await createTestCa();
    otherCa = await createTestCa('another CA');
    leaves = {
      a: await pki.issue('a', { names: ['a.test', 'h.test'] }),
      r: await pki.issue('r', { names: ['r.test'], keyType: 'rsa2048' }),
      c: await pki.issue('c', { names: ['c.test'] }),
      fb: await pki.issue('fb', { names: ['fb.example'] }),
      wild: await pki.issue('wild', { names: ['*.example'] }),
      s: await pki.issue('s', { names: ['s.test'] }),
      m: await pki.issue('m', { names: ['m.test'] }),
      bad: await pki.issue('bad', { names: ['bad.test'] }),
      n: await pki.issue('n', { names: ['n.test'] }),
    };
    client = await pki.issue('client', { names: ['client.test'], usages: ['clientAuth'] });
    stranger = await otherCa.issue('stranger', { names: ['stranger.test'], usages: ['clientAuth'] });
    origin = await startEchoOrigin();
    const l = leaves;
    config = configFromObject(
      {
        listen: [{ address: '127.0.0.1:0' }],
        admin: { address: null },
        log: { dir: join(dir, 'events') },
        session: { tickets: { rotate_every: '1h', stage_timeout: '1s', keep: 1 }, cache: { lookup_timeout: '500ms' } },
        certificates: [
          { names: ['a.test', 'h.test'], cert: l.a!.certFile, key: { signer: 'soft', label: 'a' } },
          { names: ['r.test'], cert: l.r!.certFile, key: { signer: 'soft', label: 'r' } },
          { names: ['c.test'], cert: l.c!.certFile, key: l.c!.keyFile },
          { names: ['fb.example'], cert: l.fb!.certFile, key: { signer: 'soft', label: 'fb' } },
          { names: ['*.example'], cert: l.wild!.certFile, key: l.wild!.keyFile },
          { names: ['s.test'], cert: l.s!.certFile, key: { signer: 'soft', label: 's' }, tickets: { enabled: false } },
          { names: ['m.test'], cert: l.m!.certFile, key: { signer: 'soft', label: 'm' } },
          { names: ['bad.test'], cert: l.bad!.certFile, key: { signer: 'soft', label: 'missing' } },
          { names: ['n.test'], cert: l.n!.certFile, key: l.n!.keyFile, default: true },
        ],
        signers: [
          {
            name: 'soft',
            type: 'software',
            keys: ['a', 'r', 'fb', 's', 'm'].map((k) => ({ label: k, file: l[k]!.keyFile })),
          },
        ],
        sni: [
          { match: 'c.test', engine: 'offload' },
          { match: 'h.test', tls: { groups: ['P-256'], ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' } },
          { match: 'm.test', client_cert: { mode: 'require', ca: pki.caFile } },
          { match: '*' },
        ],
        origins: [{ match: { path_prefix: '/' }, to: origin.url }],
      },
      dir,
    );
    sys = await startEmbedded(config, { log: memoryLogger() });
    sys.runtime.bus.subscribe(ALL_EVENTS, (m) => events.push(m.data as unknown as AnyEvent));
    port = sys.proxy.proxy.listeners[0]!.port;
    await waitFor(() => sys.proxy.resumption!.fleetKeys().keys.some((k) => k.status === 'active'), 'an active ticket key');
  });

  after(async () => {
    await sys?.stop();
    await origin?.close();
  });

  it('gets the page with curl over HTTP/1.1 and h2 from a name whose key is held by a signer', async () => {
    for (const [flag, version] of [['--http1.1', '1.1'], ['--http2', '2']] as const) {
      const r = await curl(port, 'a.test', pki.caFile, `/curl-${version}`, [flag, '-w', '|%{http_version}|%{ssl_verify_result}']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `origin GET a.test:${port} /curl-${version}\n|${version}|0`);
    }
    const events1 = await closedConnection(events, (l) => l.some((e) => fact(e) === 'origin_bound' && (e.data as { path: string }).path === '/curl-2'));
    assert.deepEqual(events1.map(fact), ['accepted', 'client_hello_received', 'policy_selected', 'handshake_offloaded', 'signature_completed', 'handshake_completed', 'origin_bound', 'request_completed', 'closed']);
    assert.deepEqual(dataOf(events1, 'handshake_offloaded'), { signer: 'soft', key: 'a', scheme: 'ecdsa_secp256r1_sha256' });
    const signed = dataOf<{ signer: string; key: string; scheme: string; latencyMs: number }>(events1, 'signature_completed')!;
    assert.deepEqual([signed.signer, signed.key, signed.scheme], ['soft', 'a', 'ecdsa_secp256r1_sha256']);
    assert.ok(signed.latencyMs > 0);
    const done = dataOf<Record<string, unknown>>(events1, 'handshake_completed')!;
    assert.equal(done.engine, 'offload');
    assert.equal(done.alpn, 'h2');
    assert.equal(done.signatureScheme, 'ecdsa_secp256r1_sha256');
    assert.equal(dataOf<{ engine: string }>(events1, 'policy_selected')!.engine, 'offload', 'a signer-held key implies the offload engine');
  });

  it('signs RSA keys with RSA-PSS through the signer, and key files of `engine: offload` names in the proxy', async () => {
    const rsa = await sclient(port, { servername: 'r.test', ca: pki.caFile });
    assert.equal(rsa.verified, true, rsa.output);
    const file = await sclient(port, { servername: 'c.test', ca: pki.caFile });
    assert.equal(file.verified, true, file.output);
    assert.match(file.output, /origin GET c\.test \/sclient/);
    const r = await closedConnection(events, bySni('r.test', 'handshake_completed'));
    assert.deepEqual(dataOf(r, 'handshake_offloaded'), { signer: 'soft', key: 'r', scheme: 'rsa_pss_rsae_sha256' });
    const c = await closedConnection(events, bySni('c.test', 'handshake_completed'));
    assert.deepEqual(dataOf(c, 'handshake_offloaded'), { signer: 'local', key: 'c.test', scheme: 'ecdsa_secp256r1_sha256' });
  });

  it('applies the rule’s suites and groups, with a HelloRetryRequest when the client shared another group', async () => {
    const r = await sclient(port, { servername: 'h.test', ca: pki.caFile, groups: 'X25519:P-256' });
    assert.equal(r.verified, true, r.output);
    assert.equal(r.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    const list = await closedConnection(events, bySni('h.test', 'handshake_completed'));
    const done = dataOf<{ group: string; helloRetry: boolean; cipher: string }>(list, 'handshake_completed')!;
    assert.deepEqual([done.group, done.helloRetry, done.cipher], ['secp256r1', true, 'TLS_CHACHA20_POLY1305_SHA256']);
  });

  it('serves gnutls-cli and node:tls', async () => {
    const g = await runClient('gnutls-cli', ['--x509cafile', pki.caFile, '--port', String(port), '--sni-hostname', 'a.test', '--verify-hostname', 'a.test', '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', '--alpn', 'http/1.1', 'localhost'], [{ waitFor: '- Handshake was completed' }, { send: 'GET /gnutls HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' }, { waitFor: 'origin GET a.test /gnutls' }], 15_000);
    assert.match(g.output, /origin GET a\.test \/gnutls/);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: 'r.test', ca: readFileSync(pki.caFile), ALPNProtocols: ['http/1.1'], minVersion: 'TLSv1.3' }, () => s.write('GET /node HTTP/1.1\r\nHost: r.test\r\nConnection: close\r\n\r\n'));
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 200 .*origin GET r\.test \/node/s);
  });

  it('takes KeyUpdates from the client both ways (s_client k and K) between keep-alive requests', async () => {
    const request = (path: string, close = false) => `GET ${path} HTTP/1.1\nHost: a.test\n${close ? 'Connection: close\n' : ''}\n`;
    const run = await runClient(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'a.test', '-tls1_3', '-CAfile', pki.caFile, '-crlf'],
      [
        { waitFor: 'Verify return code: 0 (ok)' },
        { send: request('/ku1') },
        { waitFor: '/ku1' },
        { send: 'k\n' },
        { waitFor: 'KEYUPDATE' },
        { send: request('/ku2') },
        { waitFor: '/ku2' },
        // s_client takes one stdin read as one command: let K finish before the next request.
        { send: 'K\n' },
        { waitFor: /KEYUPDATE[\s\S]*KEYUPDATE/ },
        { send: request('/ku3', true) },
        { waitFor: `origin GET a.test /ku3` },
      ],
      20_000,
    );
    assert.match(run.output, /origin GET a\.test \/ku1[\s\S]*\/ku2[\s\S]*\/ku3/);
  });

  it('moves large bodies both ways through the proxy', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, randomBytes(6 * 1024 * 1024));
    for (const flag of ['--http1.1', '--http2']) {
      const r = await curl(port, 'a.test', pki.caFile, '/upload', [flag, '--data-binary', `@${big}`, '-o', '/dev/null', '-w', '%{http_code} %{size_upload}']);
      assert.equal(r.stdout, `200 ${6 * 1024 * 1024}`, r.stderr);
    }
  });

  it('resumes stateless tickets sealed under the fleet block, again and across a rotation', async () => {
    const sess = join(dir, 'a-ticket.pem');
    const full = await sclient(port, { servername: 'a.test', ca: pki.caFile, sessOut: sess });
    assert.equal(full.reused, false, full.line);
    for (let i = 0; i < 2; i++) {
      const again = await sclient(port, { servername: 'a.test', ca: pki.caFile, sessIn: sess });
      assert.equal(again.reused, true, again.line);
    }
    const epoch = await activeEpoch();
    await sys.runtime.bus.request(keyRotationSubjects.rotate, {}, { timeoutMs: 2000 });
    await waitFor(() => sys.proxy.resumption!.fleetKeys().keys.find((k) => k.status === 'active')?.epoch === epoch + 1, 'the new key active');
    const afterRotation = await sclient(port, { servername: 'a.test', ca: pki.caFile, sessIn: sess, sessOut: join(dir, 'a-ticket2.pem') });
    assert.equal(afterRotation.reused, true, `the retired key still decrypts: ${afterRotation.line}`);
    const list = await closedConnection(events, (l) => bySni('a.test')(l) && dataOf<{ resumed: string }>(l, 'handshake_completed')?.resumed === 'ticket');
    const done = dataOf<{ resumed: string; signatureScheme: string | null; issuedBy: string; resumedElsewhere: boolean }>(list, 'handshake_completed')!;
    assert.deepEqual([done.resumed, done.signatureScheme, done.issuedBy, done.resumedElsewhere], ['ticket', null, sys.runtime.nodeId, false]);
    assert.ok(!list.some((e) => fact(e) === 'handshake_offloaded'), 'a resumed handshake needs no signature');
    const replay = replayConnection(list);
    assert.ok(replay.steps.every((s) => !s.ignored));
  });

  it('resumes a stateful session from the session store once: the PSK identity is single-use', async () => {
    const sess = join(dir, 's-session.pem');
    assert.equal((await sclient(port, { servername: 's.test', ca: pki.caFile, sessOut: sess })).reused, false);
    const first = await sclient(port, { servername: 's.test', ca: pki.caFile, sessIn: sess });
    assert.equal(first.reused, true, first.line);
    const second = await sclient(port, { servername: 's.test', ca: pki.caFile, sessIn: sess });
    assert.equal(second.reused, false, `a used identity never resumes again: ${second.line}`);
    const resumed = await closedConnection(events, (l) => bySni('s.test')(l) && dataOf<{ resumed: string }>(l, 'handshake_completed')?.resumed === 'session');
    assert.equal(dataOf<{ issuedBy: string }>(resumed, 'handshake_completed')!.issuedBy, sys.runtime.nodeId);
    const missed = await closedConnection(events, (l) => bySni('s.test')(l) && dataOf<{ resumeMiss?: unknown }>(l, 'handshake_completed')?.resumeMiss !== undefined);
    assert.deepEqual(dataOf<{ resumeMiss: unknown }>(missed, 'handshake_completed')!.resumeMiss, { mechanism: 'session', reason: 'not_found' });
    assert.ok(events.some((e) => e.type === 'tlsedge.session.resumed'));
  });

  it('never resumes a session after it was revoked', async () => {
    const sess = join(dir, 's-revoked.pem');
    const count = events.filter((e) => e.type === 'tlsedge.session.stored').length;
    await sclient(port, { servername: 's.test', ca: pki.caFile, sessOut: sess });
    // openssl keeps the last ticket it received; each connection got two.
    const stored = await waitFor(() => {
      const s = events.filter((e) => e.type === 'tlsedge.session.stored');
      return s.length >= count + 2 && s.slice(count);
    }, 'two sessions stored');
    for (const e of stored) await sys.runtime.bus.request(sessionStoreSubjects.revoke, { key: e.correlationid }, { timeoutMs: 2000 });
    const r = await sclient(port, { servername: 's.test', ca: pki.caFile, sessIn: sess });
    assert.equal(r.reused, false, r.line);
    assert.ok(events.some((e) => e.type === 'tlsedge.session.revoked' && (e.data as { found: boolean }).found));
  });

  it('never resumes a ticket of one policy under another (client certificate required there)', async () => {
    const sess = join(dir, 'cross.pem');
    await sclient(port, { servername: 'a.test', ca: pki.caFile, sessOut: sess });
    const cross = await sclient(port, { servername: 'm.test', ca: pki.caFile, sessIn: sess, cert: client.certFile, key: client.keyFile });
    assert.equal(cross.reused, false, cross.line);
    assert.equal(cross.verified, true, cross.output);
    const list = await closedConnection(events, (l) => bySni('m.test')(l) && dataOf<{ resumeMiss?: unknown }>(l, 'handshake_completed')?.resumeMiss !== undefined);
    assert.deepEqual(dataOf<{ resumeMiss: unknown }>(list, 'handshake_completed')!.resumeMiss, { mechanism: 'ticket', reason: 'policy_mismatch' });
  });

  it('checks client certificates against the rule’s CA: certificate_required, unknown_ca, or the certificate’s facts', async () => {
    const ok = await sclient(port, { servername: 'm.test', ca: pki.caFile, cert: client.certFile, key: client.keyFile });
    assert.equal(ok.verified, true, ok.output);
    assert.match(ok.output, /origin GET m\.test \/sclient/);
    const list = await closedConnection(events, (l) => bySni('m.test')(l) && dataOf<{ clientCert?: unknown }>(l, 'handshake_completed')?.clientCert !== undefined);
    const cert = dataOf<{ clientCert: { subject: string; authorized: boolean; fingerprint: string } }>(list, 'handshake_completed')!.clientCert;
    assert.match(cert.subject, /CN=client\.test/);
    assert.equal(cert.authorized, true);
    assert.match(cert.fingerprint, /^[0-9a-f]{64}$/);

    const none = await sclient(port, { servername: 'm.test', ca: pki.caFile });
    assert.equal(none.alert, ALERT.certificate_required, none.output);
    const missing = await closedConnection(events, (l) => bySni('m.test')(l) && dataOf<{ reason: string }>(l, 'handshake_failed')?.reason === 'client_cert_missing');
    assert.equal(dataOf<{ alert: string }>(missing, 'handshake_failed')!.alert, 'certificate_required');

    const foreign = await sclient(port, { servername: 'm.test', ca: pki.caFile, cert: stranger.certFile, key: stranger.keyFile });
    assert.equal(foreign.alert, ALERT.unknown_ca, foreign.output);
    await closedConnection(events, (l) => bySni('m.test')(l) && dataOf<{ reason: string }>(l, 'handshake_failed')?.reason === 'client_cert_untrusted');
  });

  it('answers a TLS 1.2-only client with protocol_version, or with the native engine when the name has a software certificate', async () => {
    const refused = await sclient(port, { servername: 'a.test', ca: pki.caFile, tls: '1.2' });
    assert.equal(refused.alert, ALERT.protocol_version, refused.output);
    const failed = await closedConnection(events, (l) => bySni('a.test')(l) && dataOf<{ reason: string }>(l, 'handshake_failed')?.reason === 'protocol_version');
    assert.deepEqual([dataOf<{ stage: string }>(failed, 'handshake_failed')!.stage, dataOf<{ alert: string }>(failed, 'handshake_failed')!.alert], ['policy', 'protocol_version']);
    assert.match(dataOf<{ message: string }>(failed, 'handshake_failed')!.message, /no certificate with a key file/);

    const fallback = await sclient(port, { servername: 'fb.example', ca: pki.caFile, tls: '1.2' });
    assert.equal(fallback.verified, true, fallback.output);
    assert.equal(fallback.version, 'TLSv1.2');
    assert.match(fallback.output, /subject=CN = \*\.example/);
    const list = await closedConnection(events, (l) => bySni('fb.example', 'handshake_completed')(l) && dataOf<{ version: string }>(l, 'handshake_completed')?.version === '1.2');
    assert.deepEqual(
      (({ engine, fallback: f }) => ({ engine, fallback: f }))(dataOf<{ engine: string; fallback: string }>(list, 'handshake_completed')!),
      { engine: 'native', fallback: 'tls12_software_certificate' },
    );
    const modern = await sclient(port, { servername: 'fb.example', ca: pki.caFile });
    assert.match(modern.output, /subject=CN = fb\.example/, 'TLS 1.3 clients still get the signer-held certificate');
  });

  it('ends the handshake with internal_error and handshake_failed when the signer cannot sign', async () => {
    const r = await sclient(port, { servername: 'bad.test', ca: pki.caFile });
    assert.equal(r.alert, ALERT.internal_error, r.output);
    const list = await closedConnection(events, bySni('bad.test', 'handshake_failed'));
    assert.deepEqual(list.map(fact), ['accepted', 'client_hello_received', 'policy_selected', 'handshake_offloaded', 'handshake_failed', 'closed']);
    const failed = dataOf<{ reason: string; alert: string; message: string }>(list, 'handshake_failed')!;
    assert.deepEqual([failed.reason, failed.alert], ['signer_failed', 'internal_error']);
    assert.match(failed.message, /signer "soft" did not sign with key missing .*key_not_found/);
    assert.equal(replayConnection(list).steps.at(-2)!.state, 'closed');
  });

  it('serves the native names of the same process alongside', async () => {
    const r = await curl(port, 'n.test', pki.caFile, '/native', ['--http1.1']);
    assert.equal(r.stdout, `origin GET n.test:${port} /native\n`);
    const list = await closedConnection(events, bySni('n.test', 'handshake_completed'));
    assert.equal(dataOf<{ engine?: string }>(list, 'handshake_completed')!.engine, undefined);
    assert.ok(!list.some((e) => fact(e) === 'handshake_offloaded'));
  });

  it('shows handshake_offloaded and signature_completed in `tlsedge events` and `tlsedge replay`', async () => {
    await sys.built.eventLog.sink.flush();
    const logDir = join(dir, 'events');
    const listed = await runCli(['events', '--log', logDir, '--type', 'tlsedge.connection.*']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /handshake_offloaded.*waiting for signer soft key=a scheme=ecdsa_secp256r1_sha256/);
    assert.match(listed.stdout, /signature_completed.*signer soft answered in [\d.]+ ms/);
    const id = (await closedConnection(events, bySni('r.test', 'handshake_completed')))[0]!.correlationid;
    const replay = await runCli(['replay', '--log', logDir, '--connection', id]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /handshake_offloaded[\s\S]*handshakeOffloaded[\s\S]*signature_completed[\s\S]*handshaking[\s\S]*handshake_completed[\s\S]*established/);
  });

  it('keeps secrets out of every event: no key, ticket, session or PSK bytes', async () => {
    const sess = join(dir, 'secret.pem');
    await sclient(port, { servername: 'a.test', ca: pki.caFile, sessOut: sess });
    const text = await new Promise<string>((resolve) => execFile('openssl', ['sess_id', '-in', sess, '-noout', '-text'], (_e, out) => resolve(out)));
    const psk = /Resumption PSK: ([0-9A-F]+)/.exec(text)?.[1];
    assert.ok(psk, text);
    await sys.built.eventLog.sink.flush();
    const logged = readdirSync(join(dir, 'events'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => readFileSync(join(dir, 'events', f), 'utf8'))
      .join('');
    assert.ok(logged.includes('handshake_offloaded'));
    const secrets = [psk.toLowerCase(), Buffer.from(psk, 'hex').toString('base64')];
    for (const k of ['a', 'r', 'c', 's', 'm']) {
      const der = (leaves[k]!.keyPem.match(/-----BEGIN [A-Z ]+-----([\s\S]+?)-----END/)?.[1] ?? '').replace(/\s+/g, '');
      secrets.push(der.slice(40, 100));
    }
    for (const s of secrets) assert.ok(!logged.includes(s) && !JSON.stringify(events).includes(s), 'a secret leaked into events');
    // The ticket itself: beyond its 16-byte key name it is sealed session state (a bearer credential).
    const ticket = [...(/TLS session ticket:\n([\s\S]+?)\n\n/.exec(text)?.[1] ?? '').matchAll(/^\s*[0-9a-f]{4} - (.{47})/gm)].map((m) => m[1]!.replace(/[\s-]/g, '')).join('');
    assert.ok(ticket.length > 96, text);
    assert.ok(!logged.includes(ticket.slice(32, 96)) && !logged.includes(Buffer.from(ticket, 'hex').toString('base64').slice(24, 64)), 'ticket bytes leaked into events');
  });

  async function activeEpoch(): Promise<number> {
    const s = (await sys.runtime.bus.request(keyRotationSubjects.status, {}, { timeoutMs: 2000 })) as unknown as KeyStatusReply;
    return s.keys.find((k) => k.status === 'active')!.epoch;
  }
});
