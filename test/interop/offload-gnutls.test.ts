import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOffload, type Harness, type HarnessOptions } from '../unit/tls/support/offload-harness.js';
import { runClient, type Step } from '../unit/tls/support/clients.js';
import { testPki } from '../unit/tls/support/pki.js';
import { missingTools } from '../support/requirements.js';

const servers: Harness[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(options: HarnessOptions = {}): Promise<Harness> {
  const s = await startOffload(options);
  servers.push(s);
  return s;
}

function gnutls(port: number, extra: string[] = [], steps: Step[] = [{ waitFor: '- Handshake was completed' }, { send: 'ping\n' }, { waitFor: /ping\n/ }]) {
  return runClient(
    'gnutls-cli',
    ['--x509cafile', testPki().caFile, '-p', String(port), '--sni-hostname', 'example.test', '--verify-hostname', 'example.test', '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3', ...extra, '127.0.0.1'],
    steps,
  );
}

describe('offload engine with gnutls-cli', { skip: missingTools('gnutls-cli', 'openssl') }, () => {
  it('completes a verified TLS 1.3 handshake and echoes', async () => {
    const s = await server();
    const run = await gnutls(s.port);
    assert.match(run.output, /Description: \(TLS1\.3/);
    assert.equal(s.completed().length, 1);
  });

  it('negotiates ALPN h2', async () => {
    const s = await server({ policy: { alpn: ['h2', 'http/1.1'] } });
    const run = await gnutls(s.port, ['--alpn', 'h2']);
    assert.match(run.output, /Application protocol: h2/);
    assert.equal(s.completed()[0]?.alpn, 'h2');
  });

  it('resumes with a ticket (-r)', async () => {
    const s = await server();
    // --waitresumption: under TLS 1.3 the ticket follows the handshake; without it gnutls-cli may
    // disconnect before the ticket arrives on a busy machine, and the second connection is full.
    const run = await gnutls(s.port, ['-r', '--waitresumption'], [{ waitFor: /resumed session/i }, { send: 'ping\n' }, { waitFor: /ping\n/ }]);
    assert.match(run.output, /This is a resumed session/);
    assert.equal(s.completed().at(-1)?.resumed, 'ticket');
  });

  it('updates keys on inline ^rekey1^ (client only) and ^rekey^ (peer asked too) and keeps echoing', async () => {
    const s = await server();
    await gnutls(s.port, ['--inline-commands'], [
      { waitFor: '- Handshake was completed' },
      { send: 'one\n' },
      { waitFor: /one\n/ },
      { send: '^rekey1^\n' },
      { waitFor: /rekey/i },
      { send: 'two\n' },
      { waitFor: /two\n/ },
      { send: '^rekey^\n' },
      { waitFor: /rekey[\s\S]*rekey/i },
      { send: 'three\n' },
      { waitFor: /three\n/ },
    ]);
    const updates = s.outputs.filter((o) => o.type === 'key_updated').map((o) => (o as { direction: string }).direction);
    assert.deepEqual(updates, ['read', 'read', 'write']);
  });

  it('authenticates an RSA-PSS server key', async () => {
    const s = await server({ kinds: ['rsa2048'] });
    const run = await gnutls(s.port);
    assert.match(run.output, /RSA-PSS/);
  });
});
