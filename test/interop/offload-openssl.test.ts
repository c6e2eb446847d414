import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffload, type Harness, type HarnessOptions } from '../unit/tls/support/offload-harness.js';
import { runClient, type Step } from '../unit/tls/support/clients.js';
import { testPki } from '../unit/tls/support/pki.js';
import { missingTools } from '../support/requirements.js';
import { tempDir } from '../support/processes.js';
import { NamedGroup } from '../../adapters/tls/wire/enums.js';

const servers: Harness[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(options: HarnessOptions = {}): Promise<Harness> {
  const s = await startOffload(options);
  servers.push(s);
  return s;
}

// s_client prints received data and session dumps to stdout unsynchronised ("…  .$..ping\n.....G_."),
// so echoes are matched anywhere, not on a line of their own.
function sClient(port: number, extra: string[] = [], steps: Step[] = [{ send: 'ping\n' }, { waitFor: /ping\n/ }]) {
  return runClient('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'example.test', '-CAfile', testPki().caFile, '-verify_return_error', '-tls1_3', ...extra], steps);
}

function assertVerified(output: string): void {
  assert.match(output, /Verify return code: 0 \(ok\)/);
  assert.match(output, /New, TLSv1\.3, Cipher is/);
}

describe('offload engine with openssl s_client', { skip: missingTools('openssl') }, () => {
  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
    it(`completes and echoes with ${suite}`, async () => {
      const s = await server();
      const run = await sClient(s.port, ['-ciphersuites', suite]);
      assertVerified(run.output);
      assert.match(run.output, new RegExp(`Cipher is ${suite}`));
      assert.equal(s.completed()[0]?.suite, suite);
    });
  }

  for (const [group, name, engineName] of [['X25519', 'X25519', 'x25519'], ['P-256', 'ECDH, prime256v1', 'secp256r1'], ['P-384', 'ECDH, secp384r1', 'secp384r1']] as const) {
    it(`completes with key exchange group ${group}`, async () => {
      const s = await server();
      const run = await sClient(s.port, ['-groups', group]);
      assertVerified(run.output);
      assert.match(run.output, new RegExp(`Server Temp Key: ${name}`));
      assert.equal(s.completed()[0]?.group, engineName);
      assert.equal(s.completed()[0]?.helloRetry, false);
    });
  }

  it('sends a HelloRetryRequest when the client shares a group the policy does not take (-groups P-384:X25519)', async () => {
    const s = await server({ policy: { groups: [NamedGroup.x25519] } });
    const run = await sClient(s.port, ['-groups', 'P-384:X25519']);
    assertVerified(run.output);
    assert.equal(s.completed()[0]?.helloRetry, true);
    assert.equal(s.completed()[0]?.group, 'x25519');
  });

  for (const kind of ['rsa2048', 'p384', 'ed25519'] as const) {
    it(`authenticates with a ${kind} server key`, async () => {
      const s = await server({ kinds: [kind] });
      const run = await sClient(s.port);
      assertVerified(run.output);
    });
  }

  it('resumes a session saved with -sess_out through -sess_in (Reused)', async () => {
    const s = await server();
    const file = join(tempDir(), 'sess.pem');
    const first = await sClient(s.port, ['-sess_out', file]);
    assert.match(first.output, /^New, TLSv1\.3/m);
    const second = await sClient(s.port, ['-sess_in', file]);
    assert.match(second.output, /^Reused, TLSv1\.3/m);
    assert.equal(s.completed()[1]?.resumed, 'ticket');
  });

  it('takes KeyUpdates from the client both ways (k and K) and keeps echoing', async () => {
    const s = await server();
    const run = await sClient(s.port, [], [
      { send: 'one\n' },
      { waitFor: /one\n/ },
      { send: 'k\n' },
      { waitFor: 'KEYUPDATE' },
      { send: 'two\n' },
      { waitFor: /two\n/ },
      // s_client treats a whole stdin read as one command: wait for K to be done before the next line.
      { send: 'K\n' },
      { waitFor: /KEYUPDATE[\s\S]*KEYUPDATE/ },
      { send: 'three\n' },
      { waitFor: /three\n/ },
    ]);
    assertVerified(run.output);
    const updates = s.outputs.filter((o) => o.type === 'key_updated').map((o) => (o as { direction: string }).direction);
    assert.deepEqual(updates, ['read', 'read', 'write']);
  });

  it('verifies a client certificate when the policy requires one', async () => {
    const pki = testPki();
    const s = await server({ policy: { clientAuth: { mode: 'require', trustAnchors: [pki.clientCaDer] } } });
    const run = await sClient(s.port, ['-cert', pki.client.certFile, '-key', pki.client.keyFile]);
    assertVerified(run.output);
    assert.equal(s.completed()[0]?.clientCertificates.length, 1);
  });

  it('refuses a client without a certificate when one is required (certificate_required)', async () => {
    const pki = testPki();
    const s = await server({ policy: { clientAuth: { mode: 'require', trustAnchors: [pki.clientCaDer] } } });
    const run = await sClient(s.port, [], [{ waitFor: /alert|error/i }]);
    assert.match(run.output, /certificate required/i);
    assert.equal(s.outputs.find((o) => o.type === 'alert_sent')?.type, 'alert_sent');
  });

  it('rejects 0-RTT early data and still completes the handshake', async () => {
    const s = await server({ policy: { tickets: { mode: 'stateless', lifetimeSeconds: 3600, count: 2, maxEarlyData: 16384 } } });
    const dir = tempDir();
    const sess = join(dir, 'sess.pem');
    const early = join(dir, 'early.txt');
    writeFileSync(early, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await sClient(s.port, ['-sess_out', sess]);
    const run = await sClient(s.port, ['-sess_in', sess, '-early_data', early]);
    assert.match(run.output, /Early data was rejected/);
    assert.match(run.output, /^Reused, TLSv1\.3/m);
    assert.ok(s.outputs.some((o) => o.type === 'early_data_skipped'));
  });
});
