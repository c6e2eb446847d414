// PKCS#11 signing on a TPM 2.0 under emulation (swtpm + tpm2-abrmd + tpm2-pkcs11): every scheme the
// TPM offers verifies with node:crypto; a killed TPM gives a clear error and the signer recovers
// when it comes back; the event loop keeps turning while 200 signatures are in flight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { applySignerEnv } from '../../../adapters/signer/env.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { createSigner, type Signer, type SignerSettings } from '../../../adapters/signer/signer.js';
import { verifySignature, type SchemeName } from '../../../adapters/signer/schemes.js';
import { missingTpm, startTpm, type TpmToken } from '../../support/tpm.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const data = Buffer.from(' '.repeat(64) + 'TLS 1.3, server CertificateVerify\0' + 'h'.repeat(48));

const expected: Array<[string, SchemeName]> = [
  ['ec256', 'ecdsa_secp256r1_sha256'],
  ['ec384', 'ecdsa_secp384r1_sha384'],
  ['rsa2048', 'rsa_pss_rsae_sha256'],
  ['rsa2048', 'rsa_pss_rsae_sha384'],
  ['rsa2048', 'rsa_pss_rsae_sha512'],
  ['rsa2048', 'rsa_pkcs1_sha256'],
  ['rsa2048', 'rsa_pkcs1_sha384'],
  ['rsa2048', 'rsa_pkcs1_sha512'],
];

describe('pkcs11 signer on a TPM 2.0 (swtpm + tpm2-abrmd + tpm2-pkcs11)', { skip: missingTpm() }, () => {
  let tpm: TpmToken;
  let signer: Signer;
  const settings = (extra: Partial<SignerSettings> = {}): SignerSettings => ({
    name: 'tpm0',
    type: 'pkcs11',
    module: tpm.module,
    token: tpm.token,
    pinEnv: 'TLSEDGE_TEST_TPM_PIN',
    workers: 2,
    maxQueue: 256,
    perKeyConcurrency: 1,
    timeoutMs: 30_000,
    keys: [],
    ...extra,
  });

  before(async () => {
    tpm = await startTpm();
    applySignerEnv([{ name: 'tpm0', env: tpm.env }]);
    process.env.TLSEDGE_TEST_TPM_PIN = tpm.pin;
    process.env.TLSEDGE_TEST_TPM_BAD_PIN = '000000';
  });
  after(async () => {
    await signer?.close();
    await tpm?.stop();
  });

  // First, before any good login of this process: PKCS#11 login state is per process and token.
  it('refuses a wrong PIN with bad_pin and does not retry it', async () => {
    const bad = await createSigner(settings({ name: 'bad', pinEnv: 'TLSEDGE_TEST_TPM_BAD_PIN' }));
    try {
      await assert.rejects(bad.start({ waitReady: true }), (e: unknown) => code('bad_pin')(e) && !(e as Error).message.includes('000000'));
      assert.equal(bad.status().state, 'failed');
      assert.equal(bad.status().reinits, 0);
    } finally {
      await bad.close();
    }
  });

  it('signs with every scheme of the TPM keys, each verified by node:crypto', async () => {
    signer = await createSigner(settings());
    await signer.start({ waitReady: true });
    const keys = await signer.keys();
    for (const [label, scheme] of expected) {
      const key = keys.find((k) => k.label === label);
      assert.ok(key?.spki, `key ${label} is listed with its public key`);
      assert.ok(key.schemes.includes(scheme), `${label} offers ${scheme}`);
      assert.equal(key.facts?.neverExtractable, true);
      const result = await signer.sign({ key: label, scheme, data });
      assert.ok(verifySignature(scheme, key.spki, data, result.signature), `${label} ${scheme} verifies`);
    }
    assert.ok(!keys.some((k) => k.schemes.includes('ed25519')), 'a TPM offers no Ed25519');
  });

  it('answers key_not_found for a missing key label', async () => {
    await assert.rejects(signer.sign({ key: 'not-on-the-tpm', scheme: 'ecdsa_secp256r1_sha256', data }), code('key_not_found'));
  });

  it('keeps the event loop turning while 200 TPM signatures are in flight', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    let turns = 0;
    let done = false;
    // An event-loop turn between signatures proves the loop is not blocked by them.
    const spin = () => {
      turns++;
      if (!done) setImmediate(spin);
    };
    histogram.enable();
    setImmediate(spin);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => signer.sign({ key: i % 2 ? 'ec256' : 'rsa2048', scheme: i % 2 ? 'ecdsa_secp256r1_sha256' : 'rsa_pss_rsae_sha256', data })));
    const elapsed = performance.now() - started;
    done = true;
    histogram.disable();
    assert.equal(results.length, 200);
    assert.ok(turns >= 200, `the loop turned ${turns} times during 200 signatures`);
    // Numbers for the record (bench/signer-event-loop.ts compares them with signing on the loop).
    process.stderr.write(`# tpm: 200 signatures in ${elapsed.toFixed(0)} ms; event-loop delay p50 ${(histogram.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(2)} ms, max ${(histogram.max / 1e6).toFixed(2)} ms; ${turns} turns\n`);
  });

  it('fails with token_error when swtpm is killed, and signs again once it is back', async () => {
    await tpm.killTpm();
    await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data }), (e: unknown) => code('token_error')(e) && /reachable/.test((e as Error).message));
    // While the TPM is away every request fails fast with the token's error.
    await assert.rejects(signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data }), code('token_error'));
    assert.equal(signer.status().state, 'unavailable');
    await tpm.restartTpm();
    const ready = new Promise<void>((resolve) => {
      if (signer.status().state === 'ready') return resolve();
      const off = signer.onStatus((s) => {
        if (s.state === 'ready') {
          off();
          resolve();
        }
      });
    });
    await ready;
    assert.ok(signer.status().reinits >= 1, 'the module was re-initialised');
    const keys = await signer.keys();
    const r = await signer.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data });
    assert.ok(verifySignature('ecdsa_secp256r1_sha256', keys.find((k) => k.label === 'ec256')!.spki!, data, r.signature));
  });
});
