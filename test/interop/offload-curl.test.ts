import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOffload, type Harness } from '../unit/tls/support/offload-harness.js';
import { runClient } from '../unit/tls/support/clients.js';
import { testPki } from '../unit/tls/support/pki.js';
import { missingTools } from '../support/requirements.js';
import { tempDir } from '../support/processes.js';

describe('offload engine with curl --tlsv1.3', { skip: missingTools('curl', 'openssl') }, () => {
  let s: Harness;
  before(async () => {
    s = await startOffload({ app: 'http' });
  });
  after(async () => {
    await s?.close();
  });

  const curl = (args: string[]) =>
    runClient('curl', ['-sS', '--tlsv1.3', '--cacert', testPki().caFile, '--resolve', `example.test:${s.port}:127.0.0.1`, '--max-time', '20', ...args], [], 30_000);
  const url = (path = '/') => `https://example.test:${s.port}${path}`;

  it('serves HTTP/1.1 when curl asks for it', async () => {
    const run = await curl(['--http1.1', url()]);
    assert.deepEqual(JSON.parse(run.output), { httpVersion: '1.1', alpn: 'http/1.1', sni: 'example.test', resumed: null });
  });

  it('serves h2 through an http2 server on the offload socket', async () => {
    const run = await curl(['--http2', url()]);
    assert.deepEqual(JSON.parse(run.output), { httpVersion: '2.0', alpn: 'h2', sni: 'example.test', resumed: null });
  });

  for (const version of ['--http1.1', '--http2']) {
    it(`downloads 20 MiB intact over ${version}`, async () => {
      const run = await curl([version, '-o', '/dev/null', '-w', '%{size_download} %{http_code}', url('/?bytes=20971520')]);
      assert.equal(run.output.trim(), '20971520 200');
    });

    it(`uploads 10 MiB intact over ${version}`, async () => {
      const body = randomBytes(10 * 1024 * 1024);
      const file = join(tempDir(), 'body.bin');
      writeFileSync(file, body);
      const run = await curl([version, '--data-binary', `@${file}`, '-H', 'content-type: application/octet-stream', url()]);
      assert.deepEqual(JSON.parse(run.output), { received: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    });
  }
});
