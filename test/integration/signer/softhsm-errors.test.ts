// Failures a PKCS#11 signer must name clearly, on SoftHSM2. Its own process and token: PKCS#11
// login state is per process and token, so a wrong PIN is only detectable before any good login.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applySignerEnv } from '../../../adapters/signer/env.js';
import { SignerError } from '../../../adapters/signer/errors.js';
import { createSigner, type SignerSettings } from '../../../adapters/signer/signer.js';
import { missingSoftHsm, startSoftHsm, type SoftHsmToken } from '../../support/softhsm.js';

const code = (c: string) => (e: unknown) => e instanceof SignerError && e.code === c;
const data = Buffer.from('content');

describe('pkcs11 signer failures on SoftHSM2', { skip: missingSoftHsm() }, () => {
  let token: SoftHsmToken;
  const settings = (extra: Partial<SignerSettings>): SignerSettings => ({
    name: 'hsm',
    type: 'pkcs11',
    module: token.module,
    token: token.token,
    pinEnv: 'TLSEDGE_TEST_HSM_PIN',
    workers: 1,
    maxQueue: 8,
    perKeyConcurrency: 1,
    timeoutMs: 10_000,
    keys: [],
    ...extra,
  });

  before(async () => {
    token = await startSoftHsm({ keys: 'ec256:EC:prime256v1' });
    applySignerEnv([{ name: 'hsm', env: token.env }]);
    process.env.TLSEDGE_TEST_HSM_PIN = token.pin;
    process.env.TLSEDGE_TEST_HSM_BAD_PIN = '98765';
  });
  after(async () => {
    await token?.stop();
  });

  it('refuses a wrong PIN with bad_pin, stays failed without retrying, and never shows the PIN', async () => {
    const bad = await createSigner(settings({ name: 'bad', pinEnv: 'TLSEDGE_TEST_HSM_BAD_PIN' }));
    try {
      await assert.rejects(bad.start({ waitReady: true }), (e: unknown) => code('bad_pin')(e) && !(e as Error).message.includes('98765'));
      assert.equal(bad.status().state, 'failed');
      assert.equal(bad.status().loggedIn, false);
      await assert.rejects(bad.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data }), code('bad_pin'));
      assert.equal(bad.status().reinits, 0, 'no login retries: a token locks after a few wrong PINs');
    } finally {
      await bad.close();
    }
  });

  it('answers token_absent for a token label the module does not have, and keeps looking', async () => {
    const absent = await createSigner(settings({ name: 'absent', token: 'no-such-token' }));
    try {
      await assert.rejects(absent.start({ waitReady: true }), (e: unknown) => code('token_absent')(e) && /no-such-token/.test((e as Error).message));
      assert.equal(absent.status().state, 'unavailable');
      assert.equal(absent.status().tokenPresent, false);
      await assert.rejects(absent.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data }), code('token_absent'));
    } finally {
      await absent.close();
    }
  });

  it('answers pin_missing when the PIN variable is not set', async () => {
    await assert.rejects(createSigner(settings({ name: 'nopin', pinEnv: 'TLSEDGE_TEST_UNSET_PIN_VAR' })), (e: unknown) => code('pin_missing')(e) && /TLSEDGE_TEST_UNSET_PIN_VAR/.test((e as Error).message));
  });

  it('answers module_error for a module path that cannot be loaded', async () => {
    const broken = await createSigner(settings({ name: 'nomod', module: '/nonexistent/libpkcs11.so' }));
    try {
      await assert.rejects(broken.start({ waitReady: true }), code('module_error'));
      assert.equal(broken.status().state, 'failed');
    } finally {
      await broken.close();
    }
  });

  it('signs with the right PIN while a wrongly configured signer of the same token stays failed', async () => {
    const good = await createSigner(settings({ name: 'good' }));
    try {
      await good.start({ waitReady: true });
      const r = await good.sign({ key: 'ec256', scheme: 'ecdsa_secp256r1_sha256', data });
      assert.ok(r.signature.length > 8);
    } finally {
      await good.close();
    }
  });
});
