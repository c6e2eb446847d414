// A certificate whose private key lives in a TPM 2.0 (swtpm + tpm2-abrmd + tpm2-pkcs11, made by
// scripts/dev-tpm.sh), served by `tlsedge up --config` through the offload engine: curl gets the
// page, and while 32 TPM handshakes wait for the (serialising, ~5–10 ms per signature) TPM,
// keep-alive requests on another name of the same process keep being answered. Latency figures are
// printed as diagnostics; bench/offload-tpm.ts compares them with node:tls + the OpenSSL pkcs11 engine.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli } from '../../support/cli.js';
import { startEchoOrigin, type TestOrigin } from '../../support/origin.js';
import { createTestCa, type TestCa } from '../../support/pki.js';
import { freePort, tempDir, waitForPort, type Started } from '../../support/processes.js';
import { missingTools } from '../../support/requirements.js';
import { missingTpm, startTpm, type TpmToken } from '../../support/tpm.js';
import { curl } from './support.js';

describe('a TPM-held key on the offload engine (`tlsedge up`)', { skip: missingTpm() || missingTools('curl', 'openssl') }, () => {
  let tpm: TpmToken;
  let dir: string;
  let pki: TestCa;
  let origin: TestOrigin;
  let up: Started;
  let port: number;
  let config: string;
  const tpmCert: Record<string, string> = {};
  const env = () => ({ ...process.env, TLSEDGE_TEST_TPM_PIN: tpm.pin, TLSEDGE_LOG_FORMAT: 'json' });

  before(async () => {
    tpm = await startTpm();
    dir = tempDir('tlsedge-offload-tpm-');
    pki = await createTestCa();
    const ka = await pki.issue('ka', { names: ['ka.test'] });
    origin = await startEchoOrigin();
    port = await freePort();
    config = join(dir, 'tlsedge.yaml');
    const write = (withCerts: boolean) =>
      writeFileSync(
        config,
        JSON.stringify({
          listen: [{ address: `127.0.0.1:${port}` }],
          admin: { address: null },
          log: { dir: join(dir, 'events') },
          signers: [{ name: 'tpm0', type: 'pkcs11', module: tpm.module, token: tpm.token, pin_env: 'TLSEDGE_TEST_TPM_PIN', workers: 2, timeout: '5s', env: tpm.env }],
          certificates: [
            ...(withCerts
              ? [
                  { names: ['tpm.test'], cert: tpmCert.ec256, key: { signer: 'tpm0', label: 'ec256' } },
                  { names: ['tpmrsa.test'], cert: tpmCert.rsa2048, key: { signer: 'tpm0', label: 'rsa2048' } },
                ]
              : []),
            { names: ['ka.test'], cert: ka.certFile, key: ka.keyFile, default: true },
          ],
          origins: [{ match: { path_prefix: '/' }, to: origin.url }],
        }),
      );
    // The certificates are made with the TPM keys themselves (self-signed), as docs/tpm.md shows.
    write(false);
    for (const [label, name] of [['ec256', 'tpm.test'], ['rsa2048', 'tpmrsa.test']] as const) {
      tpmCert[label] = join(dir, `${label}.pem`);
      const r = await runCli(['certs', 'self-sign', '--config', config, '--key', `signer:tpm0/${label}`, '--names', name, '--out', tpmCert[label]!], { env: env(), timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
    }
    write(true);
    up = startCli(['up', '--config', config, '--state-dir', join(dir, 'state')], { env: env() });
    await waitForPort(port, '127.0.0.1', 60_000);
  });

  after(async () => {
    await up?.stop();
    await origin?.close();
    await tpm?.stop();
  });

  it('serves the page to curl with the TPM key signing every handshake (ECDSA P-256 and RSA-PSS)', async () => {
    for (const [label, name] of [['ec256', 'tpm.test'], ['rsa2048', 'tpmrsa.test']] as const) {
      for (const flag of ['--http1.1', '--http2']) {
        const r = await curl(port, name, tpmCert[label]!, '/tpm', [flag]);
        assert.equal(r.code, 0, `${name} ${flag}: ${r.stderr}\n${up.output().slice(-2000)}`);
        assert.equal(r.stdout, `origin GET ${name}:${port} /tpm\n`);
      }
    }
  });

  it('answers keep-alive requests on another name while 32 TPM handshakes are in flight', async (t) => {
    const ca = readFileSync(pki.caFile);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const req = request({ host: '127.0.0.1', port, servername: 'ka.test', ca, agent, path: '/ka', headers: { host: 'ka.test' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end();
      });
    await get(); // the keep-alive connection exists before the TPM load starts
    const tpmCa = readFileSync(tpmCert.ec256!);
    const done: number[] = [];
    const handshakes = Array.from(
      { length: 32 },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = tlsConnect({ host: '127.0.0.1', port, servername: 'tpm.test', ca: tpmCa, minVersion: 'TLSv1.3' }, () => {
            done.push(performance.now());
            s.destroy();
            resolve();
          });
          s.on('error', reject);
        }),
    );
    const latencies: number[] = [];
    let finishedAt = 0;
    const keepAlive = (async () => {
      // Wait until the TPM is busy: the first of the 32 has completed, so the rest are queued behind it.
      while (done.length === 0) await new Promise((r) => setTimeout(r, 1));
      for (let i = 0; i < 20; i++) latencies.push(await get());
      finishedAt = performance.now();
    })();
    await Promise.all([...handshakes, keepAlive]);
    agent.destroy();
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(`keep-alive latency while TPM handshakes were pending: p50 ${sorted[10]!.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms; TPM handshakes done over ${(Math.max(...done) - Math.min(...done)).toFixed(0)} ms`);
    assert.equal(done.length, 32);
    const pendingWhenServed = done.filter((d) => d > finishedAt).length;
    assert.ok(pendingWhenServed > 0, `20 keep-alive requests were answered while ${pendingWhenServed} TPM handshakes were still waiting for the TPM`);
  });

  it('records the TPM signer, key and latency in the events', async () => {
    const r = await runCli(['events', '--log', join(dir, 'events'), '--type', 'signature_completed', '--json']);
    const events = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { data: { signer: string; key: string; scheme: string; latencyMs: number } });
    assert.ok(events.some((e) => e.data.signer === 'tpm0' && e.data.key === 'ec256' && e.data.scheme === 'ecdsa_secp256r1_sha256' && e.data.latencyMs > 0), r.stdout.slice(0, 2000));
    assert.ok(events.some((e) => e.data.key === 'rsa2048' && e.data.scheme === 'rsa_pss_rsae_sha256'));
  });
});
