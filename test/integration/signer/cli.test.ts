// `tlsedge keys generate` and `tlsedge certs self-sign|csr|import-p12` against real tokens: the
// output is PEM that openssl accepts, and a generated key never existed outside the token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateDevKey } from '../../../adapters/x509/dev-pki.js';
import { missingTools } from '../../support/requirements.js';
import { tempDir } from '../../support/processes.js';
import { missingTpm, startTpm, type TpmToken } from '../../support/tpm.js';
import { missingSoftHsm, startSoftHsm, type SoftHsmToken } from '../../support/softhsm.js';

const run = promisify(execFile);
const root = process.env.TLSEDGE_REPO_ROOT ?? new URL('../../..', import.meta.url).pathname;

async function tlsedge(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 });
}

async function openssl(args: string[]): Promise<string> {
  const { stdout, stderr } = await run('openssl', args);
  return stdout + stderr;
}

function signerYaml(name: string, module: string, token: string, env: Record<string, string>): string {
  return [
    'sni: [{ match: "*", tunnel: "127.0.0.1:9" }]',
    'signers:',
    `  - name: ${name}`,
    '    type: pkcs11',
    `    module: ${module}`,
    `    token: ${token}`,
    '    pin_env: TLSEDGE_TEST_PIN',
    '    env:',
    ...Object.entries(env).map(([k, v]) => `      ${k}: "${v}"`),
    '',
  ].join('\n');
}

describe('tlsedge keys/certs on a TPM token', { skip: missingTpm() || missingTools('openssl') }, () => {
  let tpm: TpmToken;
  let dir: string;
  let config: string;
  before(async () => {
    tpm = await startTpm({ keys: '' });
    dir = tempDir('tlsedge-cli-tpm-');
    config = join(dir, 'tlsedge.yaml');
    writeFileSync(config, signerYaml('tpm0', tpm.module, tpm.token, tpm.env));
  });
  after(async () => {
    await tpm?.stop();
  });

  for (const type of ['ec-p256', 'rsa2048'] as const) {
    it(`generates a ${type} key in the TPM and self-signs a certificate openssl verifies`, async () => {
      const label = `web-${type}`;
      const gen = await tlsedge(['keys', 'generate', '--config', config, '--signer', 'tpm0', '--label', label, '--type', type], { TLSEDGE_TEST_PIN: tpm.pin });
      assert.match(gen.stdout, new RegExp(`^${label}  id=[0-9a-f]+  ${type}`, 'm'));
      assert.match(gen.stderr, /generating .* inside the token/);
      const out = join(dir, `${label}.pem`);
      await tlsedge(['certs', 'self-sign', '--config', config, '--key', `signer:tpm0/${label}`, '--names', 'edge.test,www.edge.test', '--ip', '127.0.0.1', '--out', out], { TLSEDGE_TEST_PIN: tpm.pin });
      const text = await openssl(['x509', '-in', out, '-noout', '-text']);
      assert.match(text, /Subject: CN ?= ?edge\.test/);
      assert.match(text, /DNS:edge\.test, DNS:www\.edge\.test, IP Address:127\.0\.0\.1/);
      assert.match(await openssl(['verify', '-CAfile', out, out]), /: OK/);
      // The key never existed outside the token: generated inside (CKA_LOCAL), never extractable.
      const list = await tlsedge(['keys', 'list', '--config', config, '--signer', 'tpm0', '--json'], { TLSEDGE_TEST_PIN: tpm.pin });
      const key = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; spki: string; facts: Record<string, boolean> }).find((k) => k.label === label)!;
      assert.deepEqual({ local: key.facts.local, neverExtractable: key.facts.neverExtractable, sensitive: key.facts.sensitive, extractable: key.facts.extractable }, { local: true, neverExtractable: true, sensitive: true, extractable: false });
      const cert = new X509Certificate(readFileSync(out));
      assert.equal(cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), key.spki, 'the certificate certifies the token key');
    });
  }

  it('makes a CSR with the TPM key that openssl req -verify accepts', async () => {
    const out = join(dir, 'req.pem');
    await tlsedge(['certs', 'csr', '--config', config, '--key', 'signer:tpm0/web-ec-p256', '--names', 'csr.test', '--org', 'tlsedge', '--out', out], { TLSEDGE_TEST_PIN: tpm.pin });
    const text = await openssl(['req', '-in', out, '-noout', '-verify', '-text']);
    assert.match(text, /verify OK/i);
    assert.match(text, /Subject: O ?= ?tlsedge, CN ?= ?csr\.test/);
    assert.match(text, /DNS:csr\.test/);
  });

  it('names a missing key with key_not_found and exits non-zero', async () => {
    await assert.rejects(tlsedge(['certs', 'self-sign', '--config', config, '--key', 'signer:tpm0/nope', '--names', 'x.test'], { TLSEDGE_TEST_PIN: tpm.pin }), (e: unknown) => /key_not_found|no private key/.test(String((e as { stderr?: string }).stderr)));
  });
});

describe('tlsedge certs import-p12 and file keys', { skip: missingSoftHsm() || missingTools('openssl') }, () => {
  let hsm: SoftHsmToken;
  let dir: string;
  let config: string;
  let p12: string;
  let certPem: string;
  before(async () => {
    hsm = await startSoftHsm({ keys: '' });
    dir = tempDir('tlsedge-cli-p12-');
    config = join(dir, 'tlsedge.yaml');
    writeFileSync(config, signerYaml('hsm', hsm.module, hsm.token, hsm.env));
    // A PKCS#12 made by OpenSSL 3 defaults (AES-256-CBC, PBKDF2, HMAC-SHA256).
    const key = join(dir, 'leaf.key');
    writeFileSync(key, generateDevKey('ec-p256').keyPem);
    certPem = join(dir, 'leaf.crt');
    await openssl(['req', '-x509', '-new', '-key', key, '-subj', '/CN=p12.test', '-days', '2', '-out', certPem]);
    p12 = join(dir, 'leaf.p12');
    await openssl(['pkcs12', '-export', '-inkey', key, '-in', certPem, '-name', 'p12-leaf', '-passout', 'pass:p12-secret', '-out', p12]);
  });
  after(async () => {
    await hsm?.stop();
  });

  it('writes the key and the exact certificate as PEM with --out-dir', async () => {
    const out = join(dir, 'out');
    await tlsedge(['certs', 'import-p12', p12, '--password-env', 'P12_PASS', '--out-dir', out], { P12_PASS: 'p12-secret' });
    assert.equal(new X509Certificate(readFileSync(join(out, 'cert.pem'))).raw.toString('base64'), new X509Certificate(readFileSync(certPem)).raw.toString('base64'));
    assert.match(await openssl(['pkey', '-in', join(out, 'key.pem'), '-noout', '-text']), /Private-Key: \(256 bit/);
  });

  it('imports into the token under its friendly name, with the certificate', async () => {
    const { stdout } = await tlsedge(['certs', 'import-p12', p12, '--password-env', 'P12_PASS', '--config', config, '--signer', 'hsm'], { P12_PASS: 'p12-secret', TLSEDGE_TEST_PIN: hsm.pin });
    assert.match(stdout, /^p12-leaf  id=[0-9a-f]+  ec-p256  \(with certificate\)/m);
    const list = await tlsedge(['keys', 'list', '--config', config, '--signer', 'hsm'], { TLSEDGE_TEST_PIN: hsm.pin });
    assert.match(list.stdout, /p12-leaf[\s\S]*certificate: stored with the key/);
  });

  it('refuses a wrong PKCS#12 password without echoing it', async () => {
    await assert.rejects(tlsedge(['certs', 'import-p12', p12, '--password-env', 'P12_PASS', '--out-dir', join(dir, 'x')], { P12_PASS: 'guess-77' }), (e: unknown) => {
      const stderr = String((e as { stderr?: string }).stderr);
      return /wrong password/.test(stderr) && !stderr.includes('guess-77');
    });
  });

  it('self-signs for a key file', async () => {
    const key = join(dir, 'file.key');
    writeFileSync(key, generateDevKey('rsa2048').keyPem);
    const { stdout } = await tlsedge(['certs', 'self-sign', '--key', key, '--names', 'file.test', '--ca', '--days', '30']);
    const out = join(dir, 'file.pem');
    writeFileSync(out, stdout);
    assert.match(await openssl(['verify', '-CAfile', out, out]), /: OK/);
    assert.match(await openssl(['x509', '-in', out, '-noout', '-text']), /CA:TRUE/);
  });
});
